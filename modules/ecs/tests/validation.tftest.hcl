# Invalid inputs are refused at plan time, before any API call: the ecs module's `services`
# and settings, and modules/ecs-service's own inputs.
# Terraform's mock provider stands in for AWS: validation needs no API.

mock_provider "aws" {
  # Policy documents feed resources whose JSON the provider validates even under a mock.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  # Key policies name the account and partition, which modules/key-admin-policy validates.
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name                    = "ecs-test"
  vpc_id                  = "vpc-0123456789abcdef0"
  private_subnet_ids      = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  alb_security_group_id   = "sg-0123456789abcdef0"
  target_group_arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/tg/0123456789abcdef"
  alb_arn_suffix          = "app/alb/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/tg/0123456789abcdef"
  queue_url               = "https://sqs.eu-central-1.amazonaws.com/123456789012/q"
  queue_arn               = "arn:aws:sqs:eu-central-1:123456789012:q"
  queue_name              = "q"
  data_bucket_name        = "bucket"
  data_bucket_arn         = "arn:aws:s3:::bucket"
}

run "rejects_bad_services" {
  command = plan

  variables {
    services = {
      one = { service_name = "one", image_repository = "r.example/one", image_tag = "t", port = 5000, access = ["read-everything"], load_balanced = true }
      two = { service_name = "two", image_repository = "r.example/two", image_tag = "t", port = 5001, access = ["consume-queue"], load_balanced = true }
    }
  }

  expect_failures = [var.services]
}

run "rejects_backlog_scaling_without_container_insights" {
  command = plan

  variables {
    container_insights = false
    services = {
      worker = { service_name = "worker", image_repository = "r.example/worker", image_tag = "t", port = 5001, access = ["consume-queue"], scaling = { backlog_per_task = 10 } }
    }
  }

  expect_failures = [var.container_insights]
}

# modules/ecs-service planned on its own gets no emulator provider (scripts/test-modules.sh
# writes one into the module under test and its tests/ fixtures only): this one makes no
# call, and the inputs are refused before any data source is read.
provider "aws" {
  alias                       = "offline"
  region                      = "eu-central-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

run "service_rejects_root_user_and_bad_sizes" {
  command = plan

  providers = {
    aws = aws.offline
  }

  module {
    source = "../ecs-service"
  }

  variables {
    name                   = "ecs-test"
    service_name           = "bad-service"
    title                  = "Bad"
    cluster_arn            = "arn:aws:ecs:eu-central-1:123456789012:cluster/ecs-test-cluster"
    cluster_name           = "ecs-test-cluster"
    vpc_id                 = "vpc-0123456789abcdef0"
    subnet_ids             = ["subnet-0123456789abcdef0"]
    image_repository       = "r.example/bad"
    image_tag              = "t"
    port                   = 80
    execution_role         = { name = "exec", arn = "arn:aws:iam::123456789012:role/exec" }
    task_role_trust_policy = "{}"
    task_role_policy_name  = "nothing"
    task_role_statements   = [{ sid = "All", actions = ["s3:*"], resources = ["*"] }]
    container_user         = "0:0"
    memory                 = 4096
    log_retention_days     = 0
    autoscaling            = { min_count = 0, max_count = 2 }
  }

  expect_failures = [var.port, var.task_role_statements, var.container_user, var.memory, var.log_retention_days, var.autoscaling]
}
