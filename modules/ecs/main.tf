# The cluster and its services: one modules/ecs-service per entry of var.services. Services
# differ only in their entries; what an entry's `access` grants (permissions and the
# variables that go with them) is defined once, in iam.tf.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  cluster_name = "${var.name}-cluster"
  # "<alb_arn_suffix>/<target_group_arn_suffix>": the ALBRequestCountPerTarget resource label.
  alb_resource_label = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = var.tags
}

module "service" {
  source   = "../ecs-service"
  for_each = var.services

  name         = var.name
  service_name = each.value.service_name
  title        = title(each.key)
  tags         = var.tags
  cluster_arn  = aws_ecs_cluster.this.arn
  cluster_name = aws_ecs_cluster.this.name
  vpc_id       = var.vpc_id
  subnet_ids   = var.private_subnet_ids

  image_repository          = each.value.image_repository
  image_tag                 = each.value.image_tag
  port                      = each.value.port
  cpu                       = each.value.cpu
  memory                    = each.value.memory
  container_user            = var.container_user
  health_check_start_period = each.value.health_check_start_period
  environment               = merge(concat([for grant in each.value.access : local.access[grant].environment], [each.value.environment])...)
  secrets                   = each.value.secrets
  log_retention_days        = var.log_retention_days
  log_kms_key_arn           = var.log_kms_key_arn

  execution_role           = { name = aws_iam_role.execution.name, arn = aws_iam_role.execution.arn }
  task_role_trust_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary_arn = var.permissions_boundary_arn
  task_role_policy_name    = join("-", each.value.access)
  task_role_statements     = flatten([for grant in each.value.access : local.access[grant].statements])
  enable_execute_command   = var.enable_execute_command

  egress_cidr_blocks     = var.egress_cidr_blocks
  egress_prefix_list_ids = var.egress_prefix_list_ids
  load_balancer = each.value.load_balanced ? {
    target_group_arn                  = var.target_group_arn
    security_group_id                 = var.alb_security_group_id
    health_check_grace_period_seconds = var.health_check_grace_period_seconds
  } : null

  desired_count = coalesce(each.value.desired_count, each.value.min_count)
  autoscaling = var.enable_autoscaling ? {
    min_count  = each.value.min_count
    max_count  = each.value.max_count
    cpu_target = each.value.scaling.cpu_target
    requests_per_target = each.value.scaling.requests_per_target == null ? null : {
      target         = each.value.scaling.requests_per_target
      resource_label = local.alb_resource_label
    }
    backlog_per_task = each.value.scaling.backlog_per_task == null ? null : {
      target     = each.value.scaling.backlog_per_task
      queue_name = var.queue_name
    }
  } : null
}
