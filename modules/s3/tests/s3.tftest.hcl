run "log_bucket" {
  command = apply

  module {
    source = "./tests/log_bucket"
  }
}

run "secure_defaults" {
  command = apply

  variables {
    bucket_name       = "s3-module-test-data"
    force_destroy     = true
    access_log_bucket = run.log_bucket.name
    access_log_prefix = "data/"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "SSE-S3 encryption by default"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "versioning is enabled"
  }

  assert {
    condition = (aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy &&
    aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets)
    error_message = "all four public access blocks are on"
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled (BucketOwnerEnforced)"
  }

  assert {
    condition = (jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Effect == "Deny" &&
      jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" &&
    toset(jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Resource) == toset([output.bucket_arn, "${output.bucket_arn}/*"]))
    error_message = "the bucket policy denies non-TLS access to the bucket and its objects"
  }

  assert {
    condition = (one(aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration).noncurrent_days == 90 &&
    one(aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload).days_after_initiation == 7)
    error_message = "noncurrent versions expire and incomplete multipart uploads are aborted"
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == run.log_bucket.name && aws_s3_bucket_logging.this[0].target_prefix == "data/"
    error_message = "access logging goes to the given bucket and prefix"
  }
}

run "kms_encryption" {
  command = plan

  variables {
    bucket_name = "s3-module-test-kms"
    kms_key_arn = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition = (one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
    one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled)
    error_message = "SSE-KMS with a bucket key when a KMS key is given"
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0
    error_message = "no access logging without a log bucket"
  }

  assert {
    condition = (
      [for s in data.aws_iam_policy_document.kms_only[0].statement : "${s.sid} ${s.effect} ${join(",", s.actions)}"] == [
        "DenyUploadsWithOtherEncryption Deny s3:PutObject",
        "DenyUploadsWithAnotherKey Deny s3:PutObject",
      ] &&
      toset([for c in data.aws_iam_policy_document.kms_only[0].statement[0].condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) == toset([
        "Null s3:x-amz-server-side-encryption false",
        "StringNotEquals s3:x-amz-server-side-encryption aws:kms",
      ]) &&
      toset([for c in data.aws_iam_policy_document.kms_only[0].statement[1].condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) == toset([
        "Null s3:x-amz-server-side-encryption-aws-kms-key-id false",
        "StringNotEquals s3:x-amz-server-side-encryption-aws-kms-key-id arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000",
      ])
    )
    error_message = "uploads asking for other encryption or another key are denied; uploads without encryption headers (the bucket default, this key) are not"
  }
}
