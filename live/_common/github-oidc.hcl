# The github-oidc component: the GitHub OIDC provider and the plan/deploy roles CI assumes in
# this environment's account. Applied by an administrator (CI's apply skips it).
# Settings: env.hcl `github_oidc`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//github-oidc"
}

inputs = merge(local.context.env.github_oidc, {
  name               = local.context.name
  github_repository  = local.context.repository
  github_environment = local.context.environment
  state_bucket_name  = local.context.state_bucket
  state_key_prefix   = local.context.state_key_prefix
  state_kms_key_arn  = local.context.state_kms_key_arn
})
