data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  oidc_host  = "token.actions.githubusercontent.com"
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  # The `sub` claims GitHub issues: pull_request jobs, and jobs of one environment (whose
  # protection rules, e.g. required reviewers, have passed before the token is issued).
  plan_subjects = ["repo:${var.github_repository}:pull_request"]
  deploy_subjects = concat(
    ["repo:${var.github_repository}:environment:${var.github_environment}"],
    var.deploy_from_main_branch ? ["repo:${var.github_repository}:ref:refs/heads/main"] : [],
  )

  state_bucket_arn  = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  state_objects_arn = "${local.state_bucket_arn}/${var.state_key_prefix}*"
  lock_table_arn = var.state_lock_table_name == null ? null : format(
    "arn:%s:dynamodb:%s:%s:table/%s", local.partition, data.aws_region.current.name, local.account_id, var.state_lock_table_name
  )

  # IAM objects the deploy role may manage: those of this environment's stack only.
  managed_roles_arn     = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-*"
  managed_policies_arn  = "arn:${local.partition}:iam::${local.account_id}:policy/${var.name}-*"
  github_roles_arn      = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-github-*"
  service_linked_prefix = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # null leaves the list to AWS, which trusts GitHub's certificate through its root CAs.
  thumbprint_list = length(var.thumbprints) > 0 ? var.thumbprints : null
  tags            = var.tags
}

# --- trust policies ---------------------------------------------------------------

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequests"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.plan_subjects
    }
  }
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    sid     = "GitHubDeployEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.deploy_subjects
    }
  }
}

# --- state access -------------------------------------------------------------------

data "aws_iam_policy_document" "plan_state" {
  statement {
    sid       = "ListStateBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.state_objects_arn]
  }

  # A plan takes the state lock: with S3 lock files that is a <key>.tflock object.
  statement {
    sid       = "LockState"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_objects_arn}.tflock"]
  }

  dynamic "statement" {
    for_each = local.lock_table_arn == null ? [] : [local.lock_table_arn]
    content {
      sid       = "LockStateTable"
      effect    = "Allow"
      actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "StateKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "deploy" {
  source_policy_documents = [data.aws_iam_policy_document.plan_state.json]

  statement {
    sid       = "WriteState"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.state_objects_arn]
  }

  statement {
    sid    = "ManageStackRoles"
    effect = "Allow"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = [local.managed_roles_arn]
  }

  statement {
    sid    = "ManageStackPolicies"
    effect = "Allow"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyVersions",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = [local.managed_policies_arn]
  }

  statement {
    sid       = "PassStackRolesToServices"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.managed_roles_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    effect    = "Allow"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.service_linked_prefix}/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
      ]
    }
  }

  # The CI roles are managed by an administrator (one-time set-up), never by CI itself:
  # a deploy role able to edit its own trust or policies could widen them.
  statement {
    sid       = "NeverTheCiRolesThemselves"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = [local.github_roles_arn]
  }
}

# --- roles --------------------------------------------------------------------------

resource "aws_iam_role" "plan" {
  name                 = "${var.name}-github-plan"
  description          = "Read-only plans of ${var.github_repository} pull requests"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "terraform-state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_state.json
}

# The ecs module generates the frontend token with the ephemeral resource
# aws_secretsmanager_random_password, evaluated on every plan. The API stores
# nothing, is not part of ReadOnlyAccess and supports no resource scoping.
data "aws_iam_policy_document" "plan_ephemeral_token" {
  statement {
    sid       = "GenerateEphemeralToken"
    effect    = "Allow"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "plan_ephemeral_token" {
  name   = "ephemeral-token"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_ephemeral_token.json
}

resource "aws_iam_role_policy_attachment" "plan" {
  for_each = toset(var.plan_policy_arns)

  role       = aws_iam_role.plan.name
  policy_arn = each.value
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-github-deploy"
  description          = "Deploys of ${var.github_repository} to the ${var.github_environment} environment"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "terraform-deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.deploy_policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}
