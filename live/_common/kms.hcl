# The kms component (the environment's customer-managed keys, modules/kms), included by
# live/<env>/kms/terragrunt.hcl. Settings: env.hcl `kms`. Every key rotates yearly; its policy
# names its consumers: the stack's roles (role/<name>-*) through the storing service only, or
# CloudWatch Logs for the stack's log groups only.
locals {
  context   = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
  name      = local.context.name
  roles     = ["arn:aws:iam::${local.context.account_id}:role/${local.name}-*"]
  log_group = ["/ecs/${local.name}/*", "/vpc/${local.name}/*"]
}

terraform {
  source = "${get_repo_root()}/modules//kms"
}

inputs = {
  name                 = local.name
  deletion_window_days = local.context.env.kms.deletion_window_days
  keys = {
    data   = { description = "data bucket objects (SSE-KMS, bucket key)", via_services = ["s3"], consumer_arns = local.roles }
    queues = { description = "messages of the queue and its dead-letter queue", via_services = ["sqs"], consumer_arns = local.roles }
    logs   = { description = "the services' and the VPC flow logs' log groups", log_groups = local.log_group }
  }
}
