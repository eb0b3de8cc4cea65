data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  cluster_name = "${var.name}-cluster"

  frontend_name = "frontend-service"
  worker_name   = "queue-worker-service"
  frontend_port = 5000
  worker_port   = 5001

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

  # Fargate keeps the root filesystem read-only; /tmp is a per-task ephemeral volume
  # (Fargate task storage) for Python's tempfile and any library that insists on writing.
  tmp_volume = "tmp"

  # The images' own HEALTHCHECK, restated: ECS ignores Dockerfile health checks.
  health_check_command = "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%d/', timeout=3).status == 200 else 1)"

  containers = {
    frontend = {
      name       = local.frontend_name
      image      = "${var.frontend_image_repository}:${var.frontend_image_tag}"
      port       = local.frontend_port
      log_group  = aws_cloudwatch_log_group.frontend.name
      start_wait = 15
      # The token is deliberately absent: the app reads it from SSM at runtime (see README).
      environment = {
        QUEUE_URL       = var.queue_url
        TOKEN_PARAMETER = var.token_parameter_name
        AWS_REGION      = local.region
        PORT            = tostring(local.frontend_port)
      }
    }
    worker = {
      name       = local.worker_name
      image      = "${var.worker_image_repository}:${var.worker_image_tag}"
      port       = local.worker_port
      log_group  = aws_cloudwatch_log_group.worker.name
      start_wait = 40
      environment = {
        QUEUE_URL   = var.queue_url
        DATA_BUCKET = var.data_bucket_name
        # Passed explicitly so the app's prefix is the one the IAM policy allows.
        DATA_PREFIX = var.data_prefix
        AWS_REGION  = local.region
        PORT        = tostring(local.worker_port)
      }
    }
  }

  container_definitions = {
    for key, c in local.containers : key => [{
      name                   = c.name
      image                  = c.image
      essential              = true
      privileged             = false
      readonlyRootFilesystem = true
      user                   = var.container_user
      # The frontend's port is what the ALB targets; the worker's serves only the
      # container-local health check, so it is not mapped.
      portMappings = key == "frontend" ? [{ name = "http", containerPort = c.port, hostPort = c.port, protocol = "tcp" }] : []
      environment  = [for env_name, value in c.environment : { name = env_name, value = value }]
      mountPoints  = [{ sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false }]
      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { drop = ["ALL"] }
      }
      healthCheck = {
        command     = ["CMD", "python", "-c", format(local.health_check_command, c.port)]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = c.start_wait
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = c.log_group
          awslogs-region        = local.region
          awslogs-stream-prefix = c.name
        }
      }
      # SIGTERM -> SIGKILL after 30 s: gunicorn's graceful_timeout (20 s) fits inside.
      stopTimeout = 30
    }]
  }
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "frontend" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs always encrypts at rest; a customer-managed key is opt-in through log_kms_key_arn (its key policy must admit the logs service), so the module cannot require one.
  # checkov:skip=CKV_AWS_338:Retention is the caller's log_retention_days (validated against CloudWatch's values); a one-year minimum is a per-environment decision, not a module default.
  name              = "/ecs/${var.name}/${local.frontend_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "worker" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs always encrypts at rest; a customer-managed key is opt-in through log_kms_key_arn (its key policy must admit the logs service), so the module cannot require one.
  # checkov:skip=CKV_AWS_338:Retention is the caller's log_retention_days (validated against CloudWatch's values); a one-year minimum is a per-environment decision, not a module default.
  name              = "/ecs/${var.name}/${local.worker_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_ecs_task_definition" "frontend" {
  family                   = "${var.name}-${local.frontend_name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.frontend_cpu
  memory                   = var.frontend_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.frontend_task.arn
  container_definitions    = jsonencode(local.container_definitions.frontend)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.tmp_volume
  }

  tags = var.tags
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-${local.worker_name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.worker_task.arn
  container_definitions    = jsonencode(local.container_definitions.worker)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.tmp_volume
  }

  tags = var.tags
}

resource "aws_ecs_service" "frontend" {
  name                               = local.frontend_name
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.frontend.arn
  desired_count                      = var.frontend_desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
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
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.frontend.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.frontend_name
    container_port   = local.frontend_port
  }

  lifecycle {
    # Application Auto Scaling owns the running count after creation.
    ignore_changes = [desired_count]
  }

  tags = var.tags
}

resource "aws_ecs_service" "worker" {
  name                               = local.worker_name
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.worker.arn
  desired_count                      = var.worker_min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
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
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  tags = var.tags
}
