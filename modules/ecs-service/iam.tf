# The application's role. It may do exactly what task_role_statements name (every Allow scoped
# to ARNs by the caller), plus the ECS Exec channels when enable_execute_command is on.
resource "aws_iam_role" "task" {
  name                 = "${var.name}-${var.service_name}-task"
  description          = "The ${var.service_name} application: ${var.task_role_policy_name}"
  assume_role_policy   = var.task_role_trust_policy
  max_session_duration = 3600

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
