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
  state_key_prefix   = "live/prod/"
}

run "admin_policies_are_never_attachable" {
  command = plan

  variables {
    attachable_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  }

  expect_failures = [var.attachable_policy_arns]
}

run "deploy_workflow_paths_cannot_be_wildcards" {
  command = plan

  variables {
    deploy_workflow_paths = [".github/workflows/*"]
  }

  expect_failures = [var.deploy_workflow_paths]
}
