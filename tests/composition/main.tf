# Composition test: every module wired together the way an environment (live/) wires them.
# devstack.module_tests applies it against the emulator with tests/composition.tftest.hcl.

data "aws_caller_identity" "current" {}

locals {
  tags  = { Environment = var.name, ManagedBy = "terraform" }
  stack = jsondecode(file("${path.module}/../../stack.json"))
  service_roles = {
    frontend = { access = ["read-token", "send-to-queue"], load_balanced = true, scaling = { cpu_target = 60, requests_per_target = 1000 } }
    worker   = { access = ["consume-queue", "write-data"], health_check_start_period = 40, scaling = { backlog_per_task = 100 } }
  }
}

module "vpc" {
  source = "../../modules/vpc"

  name                    = var.name
  cidr_block              = "10.30.0.0/16"
  az_count                = 2
  single_nat_gateway      = true
  flow_log_retention_days = 7
  interface_endpoints     = ["sqs", "ssm"]
  tags                    = local.tags
}

module "alb" {
  source = "../../modules/alb"

  name                       = var.name
  vpc_id                     = module.vpc.vpc_id
  vpc_cidr_block             = module.vpc.vpc_cidr_block
  public_subnet_ids          = module.vpc.public_subnet_ids
  deletion_protection        = false
  access_logs_retention_days = 7
  force_destroy_access_logs  = true
  tags                       = local.tags
}

module "queue" {
  source = "../../modules/sqs"

  name = "${var.name}-ingest"
  tags = local.tags
}

module "data_bucket" {
  source = "../../modules/s3"

  bucket_name   = "${var.name}-data-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
  tags          = local.tags
}

module "ecr" {
  source = "../../modules/ecr"

  repository_names = [for service in values(local.stack.services) : service.ecr_repository]
  force_delete     = true
  tags             = local.tags
}

module "ecs" {
  source = "../../modules/ecs"

  name                    = var.name
  vpc_id                  = module.vpc.vpc_id
  private_subnet_ids      = module.vpc.private_subnet_ids
  alb_security_group_id   = module.alb.security_group_id
  target_group_arn        = module.alb.target_group_arn
  alb_arn_suffix          = module.alb.alb_arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix

  queue_url  = module.queue.queue_url
  queue_arn  = module.queue.queue_arn
  queue_name = module.queue.queue_name

  data_bucket_name = module.data_bucket.bucket_name
  data_bucket_arn  = module.data_bucket.bucket_arn

  # The services as live/_common/ecs.hcl builds them from stack.json.
  services = {
    for key, service in local.stack.services : key => merge(local.service_roles[key], {
      service_name     = service.ecs_service
      image_repository = module.ecr.repository_urls[service.ecr_repository]
      image_tag        = var.image_tag
      port             = service.port
    })
  }
  data_prefix = local.stack.data_prefix

  log_retention_days = 7
  tags               = local.tags

  # The listener must exist before a service can register in the target group.
  depends_on = [module.alb]
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                     = var.name
  queue_name               = module.queue.queue_name
  dlq_name                 = module.queue.dlq_name
  alb_arn_suffix           = module.alb.alb_arn_suffix
  target_group_arn_suffix  = module.alb.target_group_arn_suffix
  cluster_name             = module.ecs.cluster_name
  services                 = { for key, service in module.ecs.services : key => service.service_name }
  kms_deletion_window_days = 7
  tags                     = local.tags
}
