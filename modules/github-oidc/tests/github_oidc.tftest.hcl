# Runs against the AWS emulator via devstack.module_tests (which adds the provider).

variables {
  name               = "devops-test"
  github_repository  = "acme/ingest-pipeline"
  github_environment = "prod"
  state_bucket_name  = "acme-terraform-state"
  state_key_prefix   = "prod/"
  tags               = { Project = "ingest-pipeline", Environment = "test", ManagedBy = "terraform" }
}

# One apply, every assertion on what it created (each run costs provider start-ups and a
# refresh): the trust policies, the state fence of the plan role, the IAM fence of the deploy role.
run "roles_trust_only_this_repository" {
  command = apply

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "token.actions.githubusercontent.com" || aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "the OIDC provider must be GitHub's"
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "the OIDC audience must be sts.amazonaws.com"
  }

  assert {
    condition     = jsondecode(aws_iam_role.plan.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/ingest-pipeline:environment:plan-prod"
    error_message = "the prod plan role must trust only jobs of the reviewed plan-prod environment"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/ingest-pipeline:environment:prod"
    error_message = "the deploy role must trust only jobs of the prod GitHub environment"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:job_workflow_ref"] == "acme/ingest-pipeline/.github/workflows/apply.yml@refs/heads/main"
    error_message = "the deploy role must trust only main's apply workflow"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "the deploy role must require the sts.amazonaws.com audience"
  }

  assert {
    condition     = jsondecode(aws_iam_role.plan.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn
    error_message = "the plan role must trust the GitHub OIDC provider"
  }

  assert {
    condition     = aws_iam_role.plan.name == "devops-test-github-plan" && aws_iam_role.deploy.name == "devops-test-github-deploy"
    error_message = "role names follow <name>-github-plan / <name>-github-deploy"
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s if s.Sid == "NeverWriteStateOrLocks"
    ]).Resource) == toset(["arn:aws:s3:::acme-terraform-state", "arn:aws:s3:::acme-terraform-state/*"])
    error_message = "the plan role is denied writing state and lock files in the whole state bucket"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.plan.policy).Statement : s if s.Sid == "ReadState"
    ]).Resource == "arn:aws:s3:::acme-terraform-state/prod/*"
    error_message = "the plan role reads only this environment's state"
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "NeverTheCiRolesThemselves"
    ]).Resource) == toset(["arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/devops-test-github-*", "arn:aws:iam::${data.aws_caller_identity.current.account_id}:policy/devops-test-github-*"])
    error_message = "the deploy role must be denied IAM on the CI roles"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "ManageStackRoles"
    ]).Resource == "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/devops-test-*"
    error_message = "the deploy role manages only this stack's roles"
  }
}

run "main_branch_and_lock_table_and_kms" {
  command = plan

  variables {
    deploy_from_main_branch = true
    state_lock_table_name   = "terraform-locks"
    state_kms_key_arn       = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = toset(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]) == toset([
      "repo:acme/ingest-pipeline:environment:prod",
      "repo:acme/ingest-pipeline:ref:refs/heads/main",
    ])
    error_message = "deploy_from_main_branch adds exactly refs/heads/main"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "LockStateTable"
    ]).Resource == "arn:aws:dynamodb:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/terraform-locks"
    error_message = "the lock table statement names the table"
  }

  assert {
    condition = one([
      for s in jsondecode(data.aws_iam_policy_document.deploy.json).Statement : s if s.Sid == "StateKey"
    ]).Resource == "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "the state key statement names the key"
  }
}

run "existing_provider_is_reused" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "no provider is created when one exists"
  }

  assert {
    condition     = jsondecode(data.aws_iam_policy_document.plan_trust.json).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "the roles trust the existing provider"
  }
}
