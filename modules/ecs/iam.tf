# One execution role (used by the ECS agent: pull images, write logs) and one task role per
# service (used by the application). Every Allow names the ARNs it applies to; "*" appears
# only for actions that support no resource scope (ecr:GetAuthorizationToken, ssmmessages).
locals {
  # "<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>" -> the repository's ARN; images
  # from any other registry need no ECR permission.
  ecr_repository_pattern = "^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/(.+)$"
  ecr_repository_arns = distinct([
    for repository in [var.frontend_image_repository, var.worker_image_repository] :
    format("arn:%s:ecr:%s:%s:repository/%s", local.partition, regex(local.ecr_repository_pattern, repository)[1], regex(local.ecr_repository_pattern, repository)[0], regex(local.ecr_repository_pattern, repository)[3])
    if can(regex(local.ecr_repository_pattern, repository))
  ])

  log_stream_arns = [
    "${aws_cloudwatch_log_group.frontend.arn}:log-stream:*",
    "${aws_cloudwatch_log_group.worker.arn}:log-stream:*",
  ]
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
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-images-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "frontend_task" {
  name                 = "${var.name}-${local.frontend_name}-task"
  description          = "The ${local.frontend_name} application: reads the token parameter, sends to the queue"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "frontend_task" {
  statement {
    sid       = "ReadToken"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.token.arn]
  }

  dynamic "statement" {
    for_each = var.token_kms_key_arn == null ? [] : [var.token_kms_key_arn]

    content {
      sid       = "DecryptToken"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "SendToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [var.queue_arn]
  }

  dynamic "statement" {
    for_each = var.queue_kms_key_arn == null ? [] : [var.queue_kms_key_arn]

    content {
      # SendMessage to a KMS-encrypted queue generates (and may reuse, hence Decrypt) a data key.
      sid       = "EncryptQueueMessages"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      sid       = "EcsExec"
      actions   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "frontend_task" {
  name   = "read-token-send-to-queue"
  role   = aws_iam_role.frontend_task.id
  policy = data.aws_iam_policy_document.frontend_task.json
}

resource "aws_iam_role" "worker_task" {
  name                 = "${var.name}-${local.worker_name}-task"
  description          = "The ${local.worker_name} application: consumes the queue, writes to the data bucket prefix"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "worker_task" {
  statement {
    sid       = "ConsumeQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [var.queue_arn]
  }

  dynamic "statement" {
    for_each = var.queue_kms_key_arn == null ? [] : [var.queue_kms_key_arn]

    content {
      sid       = "DecryptQueueMessages"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "WriteDataPrefix"
    actions   = ["s3:PutObject"]
    resources = ["${var.data_bucket_arn}/${var.data_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.data_bucket_kms_key_arn == null ? [] : [var.data_bucket_kms_key_arn]

    content {
      # SSE-KMS PutObject needs a data key; Decrypt covers multipart uploads.
      sid       = "EncryptDataObjects"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      sid       = "EcsExec"
      actions   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "worker_task" {
  name   = "consume-queue-write-data"
  role   = aws_iam_role.worker_task.id
  policy = data.aws_iam_policy_document.worker_task.json
}
