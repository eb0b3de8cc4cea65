# The ecr component (one repository per service of stack.json: frontend-service and
# sqs-puller-service), included by live/<env>/ecr/terragrunt.hcl. Settings: env.hcl `ecr`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//ecr"
}

inputs = merge(local.context.env.ecr, {
  repository_names = [for service in values(local.context.stack.services) : service.ecr_repository]
})
