# One ECS Fargate service: its log group, task definition (one hardened container), service,
# task role, security group and, optionally, the load balancer attachment and target-tracking
# autoscaling. The cluster, the execution role and what the task role may do are the caller's;
# the execution role gets this service's share as a policy of its own (iam.tf).
data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name

  # Valid Fargate memory sizes (MiB) for each CPU size.
  fargate_memory_by_cpu = {
    "256"   = [512, 1024, 2048]
    "512"   = [for gib in range(1, 5) : gib * 1024]
    "1024"  = [for gib in range(2, 9) : gib * 1024]
    "2048"  = [for gib in range(4, 17) : gib * 1024]
    "4096"  = [for gib in range(8, 31) : gib * 1024]
    "8192"  = [for gib in range(16, 61, 4) : gib * 1024]
    "16384" = [for gib in range(32, 121, 8) : gib * 1024]
  }

  load_balanced = var.load_balancer != null

  # AWS_REGION and PORT are set for every container; the caller's variables come on top.
  environment = merge({ AWS_REGION = local.region, PORT = tostring(var.port) }, var.environment)

  # Fargate keeps the root filesystem read-only; /tmp is a per-task ephemeral volume
  # (Fargate task storage) for Python's tempfile and any library that insists on writing.
  tmp_volume = "tmp"

  # The images' own HEALTHCHECK, restated: ECS ignores Dockerfile health checks.
  health_check_command = "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%d/', timeout=3).status == 200 else 1)"

  container_definition = {
    name                   = var.service_name
    image                  = "${var.image_repository}:${var.image_tag}"
    essential              = true
    privileged             = false
    readonlyRootFilesystem = true
    user                   = var.container_user
    # Only a load-balanced container's port is mapped (the ALB targets it); any other port
    # serves the container-local health check alone.
    portMappings = local.load_balanced ? [{ name = "http", containerPort = var.port, hostPort = var.port, protocol = "tcp" }] : []
    environment  = [for env_name, value in local.environment : { name = env_name, value = value }]
    secrets      = length(var.secrets) == 0 ? null : [for env_name, arn in var.secrets : { name = env_name, valueFrom = arn }]
    mountPoints  = [{ sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    healthCheck = {
      command     = ["CMD", "python", "-c", format(local.health_check_command, var.port)]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_start_period
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = var.service_name
      }
    }
    # SIGTERM -> SIGKILL after 30 s: gunicorn's graceful_timeout (20 s) fits inside.
    stopTimeout = 30
  }
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs always encrypts at rest; a customer-managed key is opt-in through log_kms_key_arn (its key policy must admit the logs service), so the module cannot require one.
  # checkov:skip=CKV_AWS_338:Retention is the caller's log_retention_days (validated against CloudWatch's values); a one-year minimum is a per-environment decision, not a module default.
  name              = "/ecs/${var.name}/${var.service_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-${var.service_name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = var.execution_role.arn
  task_role_arn            = aws_iam_role.task.arn
  # Null attributes (secrets, when there are none) are left out, as ECS would drop them.
  container_definitions = jsonencode([{ for key, value in local.container_definition : key => value if value != null }])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.tmp_volume
  }

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name                               = var.service_name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = local.load_balanced ? var.load_balancer.health_check_grace_period_seconds : null
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = local.load_balanced ? [var.load_balancer] : []

    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = var.service_name
      container_port   = var.port
    }
  }

  lifecycle {
    # Application Auto Scaling owns the running count after creation.
    ignore_changes = [desired_count]
  }

  tags = var.tags
}
