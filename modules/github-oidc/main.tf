data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  oidc_host  = "token.actions.githubusercontent.com"
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  # The `sub` claims GitHub issues. A job of a GitHub environment gets its token only after the
  # environment's protection rules (required reviewers, branch rules) have passed; a
  # pull_request job gets one as soon as anyone with write access opens a pull request.
  plan_environment = coalesce(var.plan_environment, "plan-${var.github_environment}")
  plan_subjects = concat(
    ["repo:${var.github_repository}:environment:${local.plan_environment}"],
    var.trust_pull_requests ? ["repo:${var.github_repository}:pull_request"] : [],
  )
  deploy_subjects = concat(
    ["repo:${var.github_repository}:environment:${var.github_environment}"],
    var.deploy_from_main_branch ? ["repo:${var.github_repository}:ref:refs/heads/main"] : [],
  )
  # The workflow file (and ref) whose jobs may deploy: main's reviewed apply workflow, never a
  # workflow a branch or pull request brings along.
  deploy_workflow_refs = [for path in var.deploy_workflow_paths : "${var.github_repository}/${path}@refs/heads/main"]

  state_bucket_arn  = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  state_objects_arn = "${local.state_bucket_arn}/${var.state_key_prefix}*"
  lock_table_arn = var.state_lock_table_name == null ? null : format(
    "arn:%s:dynamodb:%s:%s:table/%s", local.partition, local.region, local.account_id, var.state_lock_table_name
  )

  # IAM objects the deploy role may manage: those of this environment's stack only.
  managed_roles_arn    = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-*"
  managed_policies_arn = "arn:${local.partition}:iam::${local.account_id}:policy/${var.name}-*"
  github_roles_arn     = "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-github-*"
  github_policies_arn  = "arn:${local.partition}:iam::${local.account_id}:policy/${var.name}-github-*"
  boundary_name        = "${var.name}-github-boundary"
  boundary_arn         = "arn:${local.partition}:iam::${local.account_id}:policy/${local.boundary_name}"

  # Buckets holding data (messages, load-balancer access logs), whose objects no CI role
  # reads: the stack's own names plus var.data_bucket_names.
  data_bucket_arns = [
    for bucket in concat(["${lower(var.name)}-data-*", "${lower(var.name)}-alb-logs-*"], var.data_bucket_names) :
    "arn:${local.partition}:s3:::${bucket}"
  ]
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
    sid     = "GitHubPlans"
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
    sid     = "GitHubDeployEnvironmentOnMainWorkflow"
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

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:job_workflow_ref"
      values   = local.deploy_workflow_refs
    }
  }
}

# --- roles --------------------------------------------------------------------------

resource "aws_iam_role" "plan" {
  name                 = "${var.name}-github-plan"
  description          = "Plans of ${var.github_repository}: metadata reads and state reads, never data, secrets or state writes"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "plan" {
  #checkov:skip=CKV_ORG_8:Describe/List calls of EC2, ELB, ECS, autoscaling and CloudWatch support no resource-level permissions; every other read is scoped to ARNs and the data/secret reads are explicitly denied
  name   = "terraform-plan"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-github-deploy"
  description          = "Deploys of ${var.github_repository} to the ${var.github_environment} environment from main's apply workflow"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  #checkov:skip=CKV_ORG_8:Describe/List calls and creating EC2/ELB resources (whose ARNs do not exist yet) support no resource-level permissions; the other actions are scoped to this stack's ARNs
  name   = "terraform-deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

# Every role the deploy role creates must carry this boundary (deploy_policy.tf): whatever
# inline policy the deploy role writes, those roles can do no more than the services need.
resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of every role the ${var.name} deploy role creates"
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = var.tags
}
