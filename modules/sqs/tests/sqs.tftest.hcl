variables {
  name              = "orders-test"
  max_receive_count = 3
}

run "sqs_managed_encryption_redrive_and_tls_only" {
  command = apply

  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled && aws_sqs_queue.dlq.sqs_managed_sse_enabled
    error_message = "both queues are encrypted with SSE-SQS when no KMS key is given"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn && jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 3
    error_message = "the main queue redrives to the DLQ after max_receive_count receives"
  }

  assert {
    condition = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq.redrive_allow_policy) == {
      redrivePermission = "byQueue"
      sourceQueueArns   = [aws_sqs_queue.this.arn]
    }
    error_message = "only the main queue may use the DLQ"
  }

  assert {
    condition = alltrue([for p in [aws_sqs_queue_policy.this.policy, aws_sqs_queue_policy.dlq.policy] :
      jsondecode(p).Statement[0].Effect == "Deny" &&
      jsondecode(p).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "both queue policies deny non-TLS access"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_policy.this.policy).Statement[0].Resource == aws_sqs_queue.this.arn
    error_message = "the queue policy is scoped to its own queue"
  }

  assert {
    condition     = output.dlq_name == "orders-test-dlq" && output.queue_name == "orders-test" && startswith(output.queue_url, "http")
    error_message = "names and URL outputs"
  }

  assert {
    condition     = aws_sqs_queue.this.receive_wait_time_seconds == 20 && aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "long polling and a 14-day DLQ retention by default"
  }
}

# Plan only: every applied SQS queue costs ~25 s of the provider's attribute waiters.
run "customer_managed_kms_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition = alltrue([for q in [aws_sqs_queue.this, aws_sqs_queue.dlq] :
      q.kms_master_key_id == var.kms_key_arn && q.kms_data_key_reuse_period_seconds == 300
    ])
    error_message = "both queues use the given KMS key instead of SSE-SQS"
  }
}
