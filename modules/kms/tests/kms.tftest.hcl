run "keys" {
  command = apply

  variables {
    name                 = "kms-test"
    deletion_window_days = 7
    keys = {
      data = {
        description   = "data bucket"
        via_services  = ["s3"]
        consumer_arns = ["arn:aws:iam::123456789012:role/kms-test-*"]
      }
      logs = {
        description = "log groups"
        log_groups  = ["/ecs/kms-test/*"]
      }
    }
  }

  assert {
    condition     = alltrue([for key in aws_kms_key.this : key.enable_key_rotation && key.deletion_window_in_days == 7])
    error_message = "every key rotates and waits the given window before deletion"
  }

  assert {
    condition = (
      aws_kms_alias.this["data"].name == "alias/kms-test-data" && aws_kms_alias.this["data"].target_key_arn == output.key_arns["data"] &&
      keys(output.key_arns) == ["data", "logs"]
    )
    error_message = "one key and alias per entry"
  }

  assert {
    condition = (
      one([for s in jsondecode(output.key_policies["data"]).Statement : s if s.Sid == "ConsumersThroughTheirServices"]).Condition.StringEquals["kms:ViaService"] == "s3.eu-central-1.amazonaws.com" &&
      one([for s in jsondecode(output.key_policies["data"]).Statement : s if s.Sid == "ConsumersThroughTheirServices"]).Condition.ArnLike["aws:PrincipalArn"] == "arn:aws:iam::123456789012:role/kms-test-*" &&
      length([for s in jsondecode(output.key_policies["data"]).Statement : s if s.Sid == "CloudWatchLogsForTheseLogGroups"]) == 0
    )
    error_message = "the data key is usable by the named roles through S3 only"
  }

  assert {
    condition = (
      one([for s in jsondecode(output.key_policies["logs"]).Statement : s if s.Sid == "CloudWatchLogsForTheseLogGroups"]).Principal.Service == "logs.eu-central-1.amazonaws.com" &&
      one([for s in jsondecode(output.key_policies["logs"]).Statement : s if s.Sid == "CloudWatchLogsForTheseLogGroups"]).Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] == "arn:aws:logs:eu-central-1:123456789012:log-group:/ecs/kms-test/*" &&
      length([for s in jsondecode(output.key_policies["logs"]).Statement : s if s.Sid == "ConsumersThroughTheirServices"]) == 0
    )
    error_message = "the logs key is usable by CloudWatch Logs for the named log groups only"
  }
}

run "consumers_need_a_service" {
  command = plan

  variables {
    name = "kms-test"
    keys = {
      data = { description = "data", consumer_arns = ["arn:aws:iam::123456789012:role/x"] }
    }
  }

  expect_failures = [var.keys]
}
