# Test fixture: a bucket that receives the data bucket's server access logs.
data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "logs" {
  bucket        = "s3-module-test-access-logs"
  force_destroy = true
}

data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json
}

output "name" {
  value = aws_s3_bucket_policy.logs.bucket
}
