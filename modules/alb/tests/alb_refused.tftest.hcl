# Inputs the module refuses. Variable validation needs no AWS API, so these plans run
# against Terraform's mock provider (the real one costs provider start-ups and a refresh of
# the network fixture per plan).

mock_provider "aws" {
  # Policy documents feed resources whose JSON the provider validates even under a mock.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  # The certificate's validation records are keyed by what the real provider knows at plan.
  mock_resource "aws_acm_certificate" {
    override_during = plan
    defaults = {
      domain_validation_options = [{
        domain_name           = "ingest.example.com"
        resource_record_name  = "_x.ingest.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_x.acm-validations.aws."
      }]
    }
  }
}

variables {
  name              = "alb-test"
  vpc_id            = "vpc-0123456789abcdef0"
  vpc_cidr_block    = "10.0.0.0/16"
  public_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "existing_certificate_and_requested_one_are_exclusive" {
  command = plan

  variables {
    certificate     = { domain_name = "ingest.example.com", route53_zone_id = "Z0123456789EXAMPLE" }
    certificate_arn = "arn:aws:acm:eu-central-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"
  }

  expect_failures = [var.certificate_arn]
}

run "weak_tls_policy_is_refused" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}
