# The statement every customer-managed key policy of this repository starts from: the account's
# IAM administers the key (AWS's "key administrators" actions, spelled out: no kms:*). It grants
# no use of the key: callers add who may encrypt or decrypt, and through which service, through
# aws_iam_policy_document's source_policy_documents.
data "aws_iam_policy_document" "this" {
  # checkov:skip=CKV_ORG_8:In a key policy "*" is the key the policy is attached to, not every resource.
  # checkov:skip=CKV_AWS_109:Key administration by this account's IAM (the root principal delegates to IAM policies); without it the key is unmanageable.
  # checkov:skip=CKV_AWS_111:Same statement: key policies are scoped to their key ("*" = this key).
  # checkov:skip=CKV_AWS_356:In a key policy "*" is the key itself; there is no narrower ARN to name.
  statement {
    sid    = "AccountAdministersTheKey"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:Create*",
      "kms:Delete*",
      "kms:Describe*",
      "kms:Disable*",
      "kms:Enable*",
      "kms:Get*",
      "kms:List*",
      "kms:Put*",
      "kms:Revoke*",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:Update*",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.account_id}:root"]
    }
  }
}
