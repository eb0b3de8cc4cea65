# The s3 component (the data bucket the worker writes to), included by
# live/<env>/s3/terragrunt.hcl. Settings: env.hcl `s3`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//s3"
}

dependency "kms" {
  config_path = "${get_terragrunt_dir()}/../kms"

  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
  mock_outputs                            = local.context.kms_mock_outputs
}

inputs = merge(local.context.env.s3, {
  # Bucket names are global: account and region make it unique.
  bucket_name = "${local.context.name}-data-${local.context.account_id}-${local.context.region}"
  kms_key_arn = dependency.kms.outputs.key_arns["data"]
})
