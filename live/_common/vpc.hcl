# The vpc component, included by live/<env>/vpc/terragrunt.hcl. Settings: env.hcl `vpc`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//vpc"
}

dependency "kms" {
  config_path = "${get_terragrunt_dir()}/../kms"

  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
  mock_outputs                            = local.context.kms_mock_outputs
}

inputs = merge(local.context.env.vpc, {
  name                     = local.context.name
  permissions_boundary_arn = local.context.permissions_boundary_arn
  flow_log_kms_key_arn     = dependency.kms.outputs.key_arns["logs"]
})
