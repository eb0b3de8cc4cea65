# One execution role for the cluster (used by the ECS agent; each service attaches the policy
# for its own image, log group and secrets, see modules/ecs-service) and, per service, a task
# role (used by the application) with what its `access` grants. Every Allow names the ARNs it
# applies to; "*" appears only for actions that support no resource scope.
locals {
  # What a service's `access` may name. Each grant brings the task role statements and the
  # environment variables the application needs to use them (so a permission and the
  # setting it applies to cannot drift apart). KMS statements appear only with a key.
  access = {
    "read-token" = {
      environment = { TOKEN_PARAMETER = var.token_parameter_name }
      statements = [
        { sid = "ReadToken", actions = ["ssm:GetParameter"], resources = [local.token_parameter_arn], conditions = [] },
        { sid = "DecryptToken", actions = ["kms:Decrypt"], resources = [aws_kms_key.token.arn], conditions = [local.via_ssm] },
      ]
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
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}
