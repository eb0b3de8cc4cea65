resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logging is opt-in (access_log_bucket): it needs a separate log bucket per account, which the environment owns.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events of the data bucket; notifications would have no target.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice per environment, not a module default (it needs a second bucket and region).
  #checkov:skip=CKV_AWS_145:SSE-S3 is the module default (ELB access-log buckets support nothing else); the data bucket gets SSE-KMS with its customer-managed key (kms_key_arn from the kms unit).
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = var.expiration_days == null ? "expire-noncurrent-and-abort-multipart" : "expire-objects-noncurrent-and-abort-multipart"
    status = "Enabled"

    filter {}

    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  # Lifecycle rules apply to versions, so versioning must be configured first.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = var.access_log_prefix
}

module "tls_only" {
  source = "../tls-only-policy"

  service       = "s3"
  resource_arns = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
}

# With a customer-managed key, an upload that asks for other encryption (SSE-S3, DSSE, another
# key) is refused. An upload without encryption headers is allowed: S3 encrypts it with the
# bucket default, this key. The Null conditions matter: a missing header with StringNotEquals
# alone would match, and deny every upload that relies on the default.
data "aws_iam_policy_document" "kms_only" {
  count = var.kms_key_arn == null ? 0 : 1

  statement {
    sid       = "DenyUploadsWithOtherEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyUploadsWithAnotherKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms_key_arn]
    }
  }
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = concat([module.tls_only.json], data.aws_iam_policy_document.kms_only[*].json, var.policy_documents)
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # A bucket policy is refused while the public access block is being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
