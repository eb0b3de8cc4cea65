# The ecs module on real prerequisites (../setup), wired once: each run of ecs.tftest.hcl sets
# only what it varies. The services are the two of the original design plus `extra_services`.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "services" {
  description = "The services (modules/ecs var.services) without image_repository, which the harness sets per ECR repository name."
  type        = any
}

variable "settings" {
  description = "Further inputs of the ecs module (enable_execute_command, token_operator_arns, ...)."
  type        = any
  default     = {}
}

variable "use_kms_key" {
  description = "Encrypt queue and bucket with the setup's KMS key (as far as the module is concerned)."
  type        = bool
  default     = false
}

locals {
  name = "ecs-test"
}

module "setup" {
  source = "../setup"

  name = local.name
}

module "ecs" {
  source = "../.."

  name                    = local.name
  vpc_id                  = module.setup.vpc_id
  private_subnet_ids      = module.setup.private_subnet_ids
  alb_security_group_id   = module.setup.alb_security_group_id
  target_group_arn        = module.setup.target_group_arn
  alb_arn_suffix          = module.setup.alb_arn_suffix
  target_group_arn_suffix = module.setup.target_group_arn_suffix
  queue_url               = module.setup.queue_url
  queue_arn               = module.setup.queue_arn
  queue_name              = module.setup.queue_name
  data_bucket_name        = module.setup.bucket_name
  data_bucket_arn         = module.setup.bucket_arn
  queue_kms_key_arn       = var.use_kms_key ? module.setup.kms_key_arn : null
  data_bucket_kms_key_arn = var.use_kms_key ? module.setup.kms_key_arn : null
  log_retention_days      = 14
  tags                    = { Project = "ingest-pipeline", Environment = "test", ManagedBy = "terraform" }

  services = {
    for key, service in var.services : key => merge(service, {
      image_repository = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/${service.ecr_repository}"
    })
  }

  enable_execute_command = try(var.settings.enable_execute_command, false)
  token_operator_arns    = try(var.settings.token_operator_arns, [])
  enable_autoscaling     = try(var.settings.enable_autoscaling, true)
  container_insights     = try(var.settings.container_insights, true)
}

output "setup" {
  description = "The prerequisites."
  value       = module.setup
}

output "ecs" {
  description = "Every output of the ecs module."
  value       = module.ecs
}
