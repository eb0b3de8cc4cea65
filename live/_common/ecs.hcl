# The ecs component (the cluster, one service per entry of `services`, the token's key),
# included by live/<env>/ecs/terragrunt.hcl. Names, ports and ECR repositories come from
# stack.json; what a service does (access, load balancer, scaling signals) from `services`
# below; sizes and counts per environment from env.hcl `ecs.services`. Image tags come from
# the environment (<KEY>_IMAGE_TAG, CI sets the commit SHA), never from committed files; only live/local defaults to `latest`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
  stack   = local.context.stack
  arn     = "${local.context.region}:${local.context.account_id}"
  # Mock outputs for plans and validation of a fresh environment, before the units it
  # depends on have state.
  mock_commands = ["init", "validate", "plan"]

  # No `latest` outside local: CI pushes only immutable tags, so a plan or apply of dev,
  # staging or prod must name the images. get_env without a default fails with "Required
  # environment variable FRONTEND_IMAGE_TAG - not found". Validation and other commands that
  # deploy nothing keep working without them.
  deploys            = contains(["plan", "apply"], get_terraform_command())
  require_image_tags = local.context.environment != "local" && local.deploys
  image_tags = {
    for key in keys(local.stack.services) : key => (
      local.require_image_tags
      ? get_env("${upper(key)}_IMAGE_TAG")
      : get_env("${upper(key)}_IMAGE_TAG", "latest")
    )
  }
  # Who creates and rotates the token (make token / make rotate-token): the platform team's
  # SSO permission set, the same in every account (its roles' names end in a random suffix).
  # The token key's policy lets them write the token through SSM; nobody else but the
  # frontend's task role may use the key.
  token_operator_arns = ["arn:aws:iam::${local.context.account_id}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_PlatformTeam_*"]

  # Task egress (HTTPS only) stays inside the VPC when every AWS API the tasks call has an
  # interface endpoint there and S3 a gateway endpoint (prod); otherwise the APIs are reached
  # through the NAT gateway at their public addresses, which have no stable CIDRs.
  api_endpoints = ["sqs", "ssm", "ecr.api", "ecr.dkr", "logs"]
  closed_egress = (
    local.context.env.vpc.enable_s3_gateway_endpoint &&
    length(setsubtract(local.api_endpoints, local.context.env.vpc.interface_endpoints)) == 0
  )

  # The same in every environment. access: see modules/ecs (each grant brings its variables).
  services = {
    frontend = {
      access                    = ["read-token", "send-to-queue"]
      load_balanced             = true
      health_check_start_period = 15
      # ALB requests per task per minute: 2000 (33/s) is ~60 % CPU of a 0.25 vCPU task and
      # ~30 % of prod's 0.5 vCPU at the CPU per request `make load` measures (README, "Sizing").
      scaling = { cpu_target = 60, requests_per_target = 2000 }
    }
    worker = {
      access                    = ["consume-queue", "write-data"]
      health_check_start_period = 40
      # ~3 s of one 0.25 vCPU task's work at 60 % CPU (README, "Sizing").
      scaling = { backlog_per_task = 100 }
    }
  }
}

terraform {
  # "//": Terragrunt copies all of modules/, so modules/ecs finds its sibling ../ecs-service.
  source = "${get_repo_root()}/modules//ecs"
}

dependency "kms" {
  config_path = "${get_terragrunt_dir()}/../kms"

  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs                            = local.context.kms_mock_outputs
}

dependency "vpc" {
  config_path                             = "${get_terragrunt_dir()}/../vpc"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    vpc_id             = "vpc-00000000000000000"
    vpc_cidr_block     = "10.0.0.0/16"
    private_subnet_ids = ["subnet-00000000000000003", "subnet-00000000000000004"]
    s3_prefix_list_id  = "pl-00000000"
  }
}

dependency "alb" {
  config_path                             = "${get_terragrunt_dir()}/../alb"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    security_group_id       = "sg-00000000000000000"
    target_group_arn        = "arn:aws:elasticloadbalancing:${local.arn}:targetgroup/mock/0123456789abcdef"
    alb_arn_suffix          = "app/mock/0123456789abcdef"
    target_group_arn_suffix = "targetgroup/mock/0123456789abcdef"
  }
}

dependency "sqs" {
  config_path                             = "${get_terragrunt_dir()}/../sqs"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    queue_url  = "https://sqs.${local.context.region}.amazonaws.com/${local.context.account_id}/mock"
    queue_arn  = "arn:aws:sqs:${local.arn}:mock"
    queue_name = "mock"
  }
}

dependency "s3" {
  config_path                             = "${get_terragrunt_dir()}/../s3"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    bucket_name = "mock-bucket"
    bucket_arn  = "arn:aws:s3:::mock-bucket"
  }
}

dependency "ecr" {
  config_path                             = "${get_terragrunt_dir()}/../ecr"
  mock_outputs_allowed_terraform_commands = local.mock_commands
  mock_outputs = {
    repository_urls = {
      for service in values(local.stack.services) :
      service.ecr_repository => "${local.context.account_id}.dkr.ecr.${local.context.region}.amazonaws.com/${service.ecr_repository}"
    }
  }
}

inputs = merge(local.context.env.ecs, {
  name                     = local.context.name
  permissions_boundary_arn = local.context.permissions_boundary_arn
  token_operator_arns      = local.token_operator_arns
  vpc_id                   = dependency.vpc.outputs.vpc_id
  private_subnet_ids       = dependency.vpc.outputs.private_subnet_ids
  egress_cidr_blocks       = local.closed_egress ? [dependency.vpc.outputs.vpc_cidr_block] : ["0.0.0.0/0"]
  egress_prefix_list_ids   = local.closed_egress ? [dependency.vpc.outputs.s3_prefix_list_id] : []
  alb_security_group_id    = dependency.alb.outputs.security_group_id
  target_group_arn         = dependency.alb.outputs.target_group_arn
  alb_arn_suffix           = dependency.alb.outputs.alb_arn_suffix
  target_group_arn_suffix  = dependency.alb.outputs.target_group_arn_suffix
  queue_url                = dependency.sqs.outputs.queue_url
  queue_arn                = dependency.sqs.outputs.queue_arn
  queue_name               = dependency.sqs.outputs.queue_name
  data_bucket_name         = dependency.s3.outputs.bucket_name
  data_bucket_arn          = dependency.s3.outputs.bucket_arn
  queue_kms_key_arn        = dependency.kms.outputs.key_arns["queues"]
  data_bucket_kms_key_arn  = dependency.kms.outputs.key_arns["data"]
  log_kms_key_arn          = dependency.kms.outputs.key_arns["logs"]
  # Also DATA_PREFIX of `make up`'s worker (devstack/stack.py).
  data_prefix = local.stack.data_prefix

  services = {
    for key, service in local.stack.services : key => merge(local.services[key], local.context.env.ecs.services[key], {
      service_name     = service.ecs_service
      image_repository = dependency.ecr.outputs.repository_urls[service.ecr_repository]
      image_tag        = local.image_tags[key]
      port             = service.port
    })
  }
})
