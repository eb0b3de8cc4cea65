# The ecr component (frontend-service and sqs-puller-service repositories), included by
# live/<env>/ecr/terragrunt.hcl. Settings: env.hcl `ecr`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules/ecr"
}

inputs = local.context.env.ecr
