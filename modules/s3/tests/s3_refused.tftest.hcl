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

run "invalid_bucket_name_is_refused" {
  command = plan

  variables {
    bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.bucket_name]
}
