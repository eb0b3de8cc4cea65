# The sqs component (queue + dead-letter queue), included by live/<env>/sqs/terragrunt.hcl.
# Settings: env.hcl `sqs`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//sqs"
}

inputs = merge(local.context.env.sqs, {
  name = "${local.context.name}-messages"
})
