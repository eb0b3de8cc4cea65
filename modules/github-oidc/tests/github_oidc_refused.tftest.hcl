# Inputs the module refuses. Variable validation needs no AWS API, so these plans run
# against Terraform's mock provider (the real one costs ~8 CPU-s per plan to start).

mock_provider "aws" {
  # Policy documents feed resources whose JSON the provider validates even under a mock.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name               = "devops-test"
  github_repository  = "acme/ingest-pipeline"
  github_environment = "prod"
  state_bucket_name  = "acme-terraform-state"
  state_key_prefix   = "prod/"
  tags               = { Project = "ingest-pipeline", Environment = "test", ManagedBy = "terraform" }
}

run "missing_provider_arn_is_refused" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  expect_failures = [var.oidc_provider_arn]
}

run "repository_must_be_owner_slash_name" {
  command = plan

  variables {
    github_repository = "acme/*"
  }

  expect_failures = [var.github_repository]
}

run "environment_cannot_be_a_wildcard" {
  command = plan

  variables {
    github_environment = "*"
  }

  expect_failures = [var.github_environment]
}

run "thumbprints_must_be_sha1_hex" {
  command = plan

  variables {
    thumbprints = ["not-a-thumbprint"]
  }

  expect_failures = [var.thumbprints]
}
