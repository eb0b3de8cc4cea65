# The monitoring component (alarm topic, alarms, dashboard), included by
# live/<env>/monitoring/terragrunt.hcl. Settings: env.hcl `monitoring`. Every dimension comes
# from the watched units' outputs, so a renamed queue, target group or service moves its
# alarms with it.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
  # Mock outputs for plans and validation of a fresh environment, before the units it
  # watches have state.
  mock_commands = ["init", "validate", "plan"]
}

terraform {
  source = "${get_repo_root()}/modules//monitoring"
}

dependency "sqs" {
  config_path                             = "${get_terragrunt_dir()}/../sqs"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    queue_name = "mock"
    dlq_name   = "mock-dlq"
  }
}

dependency "alb" {
  config_path                             = "${get_terragrunt_dir()}/../alb"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    alb_arn_suffix          = "app/mock/0123456789abcdef"
    target_group_arn_suffix = "targetgroup/mock/0123456789abcdef"
  }
}

dependency "ecs" {
  config_path                             = "${get_terragrunt_dir()}/../ecs"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    cluster_name = "${local.context.name}-cluster"
    services = {
      for key, service in local.context.stack.services : key => { service_name = service.ecs_service }
    }
  }
}

inputs = merge(local.context.env.monitoring, {
  name                    = local.context.name
  queue_name              = dependency.sqs.outputs.queue_name
  dlq_name                = dependency.sqs.outputs.dlq_name
  alb_arn_suffix          = dependency.alb.outputs.alb_arn_suffix
  target_group_arn_suffix = dependency.alb.outputs.target_group_arn_suffix
  cluster_name            = dependency.ecs.outputs.cluster_name
  services                = { for key, service in dependency.ecs.outputs.services : key => service.service_name }
})
