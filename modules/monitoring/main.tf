# The alarm topic of one environment: encrypted with a customer-managed KMS key, publishable
# only by CloudWatch alarms of this account, with the subscriptions env.hcl lists.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Every alarm of this account and region (alarm names are only known after the alarms, which
  # need the topic first): what aws:SourceArn may be when CloudWatch publishes or uses the key.
  alarm_arn_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"
  create_kms_key    = var.kms_key_arn == null
  kms_key_arn       = local.create_kms_key ? aws_kms_key.alarms[0].arn : var.kms_key_arn
  # The topic names its own key by alias: known at plan time (a new key's ARN is not), so the
  # plan, and the policy gate that scans it, shows the topic encrypted.
  topic_kms_key_id = local.create_kms_key ? aws_kms_alias.alarms[0].name : var.kms_key_arn
  topic_name       = "${var.name}-alarms"
}

# --- KMS key (unless one is given) ----------------------------------------------------------

module "key_administration" {
  source = "../key-admin-policy"

  account_id = local.account_id
  partition  = local.partition
}

data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0

  source_policy_documents = [module.key_administration.json]

  # CloudWatch publishes alarm notifications to the encrypted topic: it needs a data key.
  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_pattern]
    }
  }

  # Principals of this account may use the key only through SNS (e.g. an operator's test
  # `aws sns publish`, SNS decrypting for delivery), never directly.
  statement {
    sid       = "ThisAccountThroughSnsOnly"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "alarms" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name} alarm notifications (SNS topic ${local.topic_name})"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "alarms" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

# --- SNS topic ------------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  name              = local.topic_name
  kms_master_key_id = local.topic_kms_key_id
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  # Only CloudWatch alarms of this account and region may publish. The account's own IAM
  # principals manage the topic through their IAM policies (same-account access needs no
  # grant here).
  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_pattern]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:SetTopicAttributes"]
    resources = [aws_sns_topic.alarms.arn]

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

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "https" {
  for_each = toset(var.alarm_https_endpoints)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "https"
  endpoint  = each.value
}
