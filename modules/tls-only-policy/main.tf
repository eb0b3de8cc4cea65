# The one statement every bucket and queue policy of this repository starts from: deny any
# request that does not use TLS. Callers combine it with their own statements through
# aws_iam_policy_document's source_policy_documents, or use it as the whole policy.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["${var.service}:*"]
    resources = var.resource_arns

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
