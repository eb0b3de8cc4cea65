# Plan-only checks of the rendered policies: the conditions the emulator cannot evaluate
# (iam:PermissionsBoundary, iam:PolicyARN, job_workflow_ref, kms:ViaService) are asserted on
# the policy JSON. tests/security/test_ci_roles_enforced.py proves the rest against the
# emulator with IAM enforced.

variables {
  name               = "devops-test"
  github_repository  = "acme/ingest-pipeline"
  github_environment = "prod"
  state_bucket_name  = "acme-terraform-state"
  state_key_prefix   = "live/prod/"
}

run "prod_defaults_trust_reviewed_environments_and_the_plan_role_never_decrypts" {
  command = plan

  assert {
    condition     = local.plan_subjects == ["repo:acme/ingest-pipeline:environment:plan-prod"]
    error_message = "by default the plan role trusts only the plan-<env> GitHub environment, never pull_request"
  }

  assert {
    condition     = local.deploy_subjects == ["repo:acme/ingest-pipeline:environment:prod"]
    error_message = "by default only the GitHub environment may deploy, never a bare branch"
  }

  assert {
    condition     = local.deploy_workflow_refs == ["acme/ingest-pipeline/.github/workflows/apply.yml@refs/heads/main"]
    error_message = "the deploy role trusts only main's apply workflow (the applied trust policy: github_oidc.tftest.hcl)"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.plan.json).Statement : s if s.Sid == "NeverDecryptTheToken"
    ]).Condition.StringEquals["kms:ViaService"] == "ssm.${data.aws_region.current.name}.amazonaws.com"
    error_message = "SSM's decryption on the plan role's behalf is denied"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.plan.json).Statement :
      s.Effect == "Deny" || length(setintersection(toset(flatten([s.Action])), toset(["s3:PutObject", "s3:DeleteObject", "kms:Decrypt", "ssm:GetParameter", "logs:GetLogEvents", "ecr:BatchGetImage"]))) == 0
    ])
    error_message = "the plan role allows no state write, decryption, parameter read, log read or image pull"
  }
}

run "dev_trusts_pull_requests_when_asked" {
  command = plan

  variables {
    github_environment  = "dev"
    trust_pull_requests = true
  }

  assert {
    condition = toset(local.plan_subjects) == toset([
      "repo:acme/ingest-pipeline:environment:plan-dev",
      "repo:acme/ingest-pipeline:pull_request",
    ])
    error_message = "trust_pull_requests adds exactly the pull_request subject"
  }
}

run "deploy_role_iam_needs_the_boundary" {
  command = plan

  variables {
    attachable_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]
  }

  assert {
    condition = toset(one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "BoundedStackRoles"
      ]).Action) == toset([
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    ])
    error_message = "every action that creates a role or changes its permissions is in the boundary statement"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "BoundedStackRoles"
    ]).Condition.StringEquals["iam:PermissionsBoundary"] == "arn:aws:iam::${data.aws_caller_identity.current.account_id}:policy/devops-test-github-boundary"
    error_message = "creating or editing a role requires the module's boundary"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "AttachOnlyAllowListedPolicies"
    ]).Condition.ArnEquals["iam:PolicyARN"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    error_message = "managed policies are attachable only from the allow-list"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement :
      s.Effect == "Deny" || !contains(flatten([s.Action]), "iam:AttachRolePolicy") || can(s.Condition.StringEquals["iam:PermissionsBoundary"])
    ])
    error_message = "no statement allows AttachRolePolicy without the boundary condition"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "NeverRemoveTheBoundary"
    ]).Effect == "Deny"
    error_message = "removing a boundary is denied"
  }

  assert {
    condition = length([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s
      if s.Effect == "Allow" && length(setintersection(toset(flatten([s.Action])), toset(["*", "iam:*", "iam:CreatePolicyVersion"]))) > 0 && contains(flatten([s.Resource]), "*")
    ]) == 0
    error_message = "no IAM write on every resource"
  }
}
