# The sqs component (queue + dead-letter queue), included by live/<env>/sqs/terragrunt.hcl.
# Settings: env.hcl `sqs`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//sqs"
}

dependency "kms" {
  config_path = "${get_terragrunt_dir()}/../kms"

  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
  mock_outputs                            = local.context.kms_mock_outputs
}

inputs = merge(local.context.env.sqs, {
  name        = "${local.context.name}-messages"
  kms_key_arn = dependency.kms.outputs.key_arns["queues"]
})
