# Inputs the module refuses. Variable validation needs no AWS API, so these plans run
# against Terraform's mock provider (the real one costs ~8 CPU-s per plan to start).

mock_provider "aws" {
  # Policy documents feed resources whose JSON the provider validates even under a mock.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    }
  }
}

variables {
  name                = "vpc-test"
  cidr_block          = "10.20.0.0/16"
  az_count            = 3
  interface_endpoints = ["sqs", "ssm", "ecr.api", "ecr.dkr", "logs"]
}

run "one_zone_is_refused" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "bad_cidr_is_refused" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/8"
  }

  expect_failures = [var.cidr_block]
}
