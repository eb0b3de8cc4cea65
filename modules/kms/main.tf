# Customer-managed keys of one environment, one per entry of `keys`: rotation on, each key's
# policy naming who may use it and through which service.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
}

# The account's IAM administers every key; the statements below say who uses it, and how.
module "key_administration" {
  source = "../key-admin-policy"

  account_id = local.account_id
  partition  = local.partition
}

data "aws_iam_policy_document" "key" {
  for_each = var.keys

  source_policy_documents = [module.key_administration.json]

  # The consumers (roles of this account matching `consumer_arns`, which also need an IAM
  # policy naming the key) use it only through the services that store the data, never to
  # encrypt or decrypt anything else directly.
  dynamic "statement" {
    for_each = length(each.value.consumer_arns) > 0 ? [1] : []

    content {
      sid       = "ConsumersThroughTheirServices"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for service in each.value.via_services : "${service}.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = each.value.consumer_arns
      }
    }
  }

  # CloudWatch Logs encrypts the named log groups itself; the encryption context names the log
  # group, so the service can use the key for these groups and no other.
  dynamic "statement" {
    for_each = length(each.value.log_groups) > 0 ? [1] : []

    content {
      sid       = "CloudWatchLogsForTheseLogGroups"
      effect    = "Allow"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = [for group in each.value.log_groups : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${group}"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = var.keys

  description             = "${var.name} ${each.key}: ${each.value.description}"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_days
  policy                  = data.aws_iam_policy_document.key[each.key].json
  tags                    = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_kms_alias" "this" {
  for_each = var.keys

  name          = "alias/${var.name}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
