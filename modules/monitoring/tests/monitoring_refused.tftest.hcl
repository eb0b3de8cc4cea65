# Inputs the module refuses. Variable validation needs no AWS API, so these plans run
# against Terraform's mock provider (the real one costs ~8 CPU-s per plan to start).

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
  name                    = "mon-test"
  queue_name              = "mon-test-messages"
  dlq_name                = "mon-test-messages-dlq"
  alb_arn_suffix          = "app/mon-test-alb/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/mon-test-frontend/0000000000000001"
  cluster_name            = "mon-test-cluster"
  services = {
    frontend = "frontend-service"
    worker   = "queue-worker-service"
  }
  alarm_email_addresses = ["oncall@example.com"]
  alarm_https_endpoints = ["https://alerts.example.com/sns"]
  queue_age_alarm       = { threshold = 300, evaluation_periods = 3, datapoints_to_alarm = 2 }
}

run "plain_http_endpoint_is_refused" {
  command = plan

  variables {
    alarm_https_endpoints = ["http://alerts.example.com/sns"]
  }

  expect_failures = [var.alarm_https_endpoints]
}

run "datapoints_above_evaluation_periods_are_refused" {
  command = plan

  variables {
    tasks_below_desired_alarm = { evaluation_periods = 2, datapoints_to_alarm = 3 }
  }

  expect_failures = [var.tasks_below_desired_alarm]
}

run "malformed_target_group_suffix_is_refused" {
  command = plan

  variables {
    target_group_arn_suffix = "mon-test-frontend"
  }

  expect_failures = [var.target_group_arn_suffix]
}

run "misspelt_alarm_setting_is_refused" {
  command = plan

  variables {
    dlq_messages_alarm = { treshold = 1 }
  }

  expect_failures = [var.dlq_messages_alarm]
}
