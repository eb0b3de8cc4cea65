# One execution role for the cluster (used by the ECS agent: pull images, write logs, read
# container secrets) and, per service, a task role (used by the application) with what its
# `access` grants. Every Allow names the ARNs it applies to; "*" appears only for actions that
# support no resource scope (ecr:GetAuthorizationToken here, ssmmessages in modules/ecs-service).
locals {
  # "<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>" -> the repository's ARN; images
  # from any other registry need no ECR permission.
  ecr_repository_pattern = "^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/(.+)$"
  ecr_repository_arns = distinct([
    for repository in [for service in var.services : service.image_repository] :
    format("arn:%s:ecr:%s:%s:repository/%s", local.partition, regex(local.ecr_repository_pattern, repository)[1], regex(local.ecr_repository_pattern, repository)[0], regex(local.ecr_repository_pattern, repository)[3])
    if can(regex(local.ecr_repository_pattern, repository))
  ])

  log_stream_arns     = [for service in module.service : "${service.log_group_arn}:log-stream:*"]
  secret_arns         = distinct(flatten([for service in var.services : values(service.secrets)]))
  ssm_secret_arns     = [for arn in local.secret_arns : arn if split(":", arn)[2] == "ssm"]
  secretsmanager_arns = [for arn in local.secret_arns : arn if split(":", arn)[2] == "secretsmanager"]

  # What a service's `access` may name. Each grant brings the task role statements and the
  # environment variables the application needs to use them (so a permission and the
  # setting it applies to cannot drift apart). KMS statements appear only with a key.
  access = {
    "read-token" = {
      environment = { TOKEN_PARAMETER = var.token_parameter_name }
      statements = concat(
        [{ sid = "ReadToken", actions = ["ssm:GetParameter"], resources = [aws_ssm_parameter.token.arn], conditions = [] }],
        var.token_kms_key_arn == null ? [] : [{
          sid        = "DecryptToken"
          actions    = ["kms:Decrypt"]
          resources  = [var.token_kms_key_arn]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["ssm.${local.region}.amazonaws.com"] }]
        }],
      )
    }
    "send-to-queue" = {
      environment = { QUEUE_URL = var.queue_url }
      statements = concat(
        [{ sid = "SendToQueue", actions = ["sqs:SendMessage"], resources = [var.queue_arn], conditions = [] }],
        # SendMessage to a KMS-encrypted queue generates (and may reuse, hence Decrypt) a data key.
        var.queue_kms_key_arn == null ? [] : [{ sid = "EncryptQueueMessages", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = [var.queue_kms_key_arn], conditions = [] }],
      )
    }
    "consume-queue" = {
      environment = { QUEUE_URL = var.queue_url }
      statements = concat(
        [{ sid = "ConsumeQueue", actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], resources = [var.queue_arn], conditions = [] }],
        var.queue_kms_key_arn == null ? [] : [{ sid = "DecryptQueueMessages", actions = ["kms:Decrypt"], resources = [var.queue_kms_key_arn], conditions = [] }],
      )
    }
    "write-data" = {
      # DATA_PREFIX is passed explicitly so the application's prefix is the one allowed here.
      environment = { DATA_BUCKET = var.data_bucket_name, DATA_PREFIX = var.data_prefix }
      statements = concat(
        [{ sid = "WriteDataPrefix", actions = ["s3:PutObject"], resources = ["${var.data_bucket_arn}/${var.data_prefix}*"], conditions = [] }],
        # SSE-KMS PutObject needs a data key; Decrypt covers multipart uploads.
        var.data_bucket_kms_key_arn == null ? [] : [{ sid = "EncryptDataObjects", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = [var.data_bucket_kms_key_arn], conditions = [] }],
      )
    }
  }
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    sid     = "EcsTasksOfThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused-deputy guard: only ECS acting for this account may assume the roles.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                 = "${var.name}-ecs-task-execution"
  description          = "ECS agent for ${local.cluster_name}: pulls the service images and writes their logs"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  dynamic "statement" {
    for_each = length(local.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid = "EcrLogin"
      # GetAuthorizationToken has no resource-level permissions: IAM accepts only "*".
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(local.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "PullServiceImages"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = local.ecr_repository_arns
    }
  }

  statement {
    sid       = "WriteServiceLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = local.log_stream_arns
  }

  dynamic "statement" {
    for_each = length(local.ssm_secret_arns) > 0 ? [local.ssm_secret_arns] : []

    content {
      sid       = "ReadContainerParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.secretsmanager_arns) > 0 ? [local.secretsmanager_arns] : []

    content {
      sid       = "ReadContainerSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-images-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}
