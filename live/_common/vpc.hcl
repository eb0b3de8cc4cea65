# The vpc component, included by live/<env>/vpc/terragrunt.hcl. Settings: env.hcl `vpc`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//vpc"
}

inputs = merge(local.context.env.vpc, {
  name                     = local.context.name
  permissions_boundary_arn = local.context.permissions_boundary_arn
})
