# The application's role. It may do exactly what task_role_statements name (every Allow scoped
# to ARNs by the caller), plus the ECS Exec channels when enable_execute_command is on. And
# this service's share of the (caller's) execution role: pull its image, write its log group,
# read its secrets; one inline policy per service, so adding a service touches no other.
data "aws_partition" "current" {}

locals {
  # "<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>" -> the repository's ARN; an image
  # from any other registry needs no ECR permission.
  ecr_repository = try(regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?/(.+)$", var.image_repository), null)
  ecr_repository_arn = local.ecr_repository == null ? null : format(
    "arn:%s:ecr:%s:%s:repository/%s", data.aws_partition.current.partition, local.ecr_repository[1], local.ecr_repository[0], local.ecr_repository[3]
  )
  secret_arns = {
    for service in ["ssm", "secretsmanager"] : service => [for arn in values(var.secrets) : arn if split(":", arn)[2] == service]
  }
}

resource "aws_iam_role" "task" {
  name                 = "${var.name}-${var.service_name}-task"
  description          = "The ${var.service_name} application: ${var.task_role_policy_name}"
  assume_role_policy   = var.task_role_trust_policy
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "task" {
  dynamic "statement" {
    for_each = var.task_role_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      # The ssmmessages channel actions support no resource scope: IAM accepts only "*".
      sid       = "EcsExec"
      actions   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = var.task_role_policy_name
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

data "aws_iam_policy_document" "execution" {
  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [local.ecr_repository_arn]

    content {
      sid = "EcrLogin"
      # GetAuthorizationToken has no resource-level permissions: IAM accepts only "*".
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [local.ecr_repository_arn]

    content {
      sid       = "PullServiceImage"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "WriteServiceLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = length(local.secret_arns.ssm) > 0 ? [local.secret_arns.ssm] : []

    content {
      sid       = "ReadContainerParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.secret_arns.secretsmanager) > 0 ? [local.secret_arns.secretsmanager] : []

    content {
      sid       = "ReadContainerSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.service_name}-pull-image-write-logs"
  role   = var.execution_role.name
  policy = data.aws_iam_policy_document.execution.json
}
