# --- identity and placement ------------------------------------------------------------------

variable "name" {
  description = "Name prefix of the environment, e.g. \"devops-prod\": the log group is \"/ecs/<name>/<service_name>\", the task definition family \"<name>-<service_name>\", the task role \"<name>-<service_name>-task\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,30}$", var.name))
    error_message = "name must start with a letter and use at most 31 letters, digits and hyphens."
  }
}

variable "service_name" {
  description = "Name of the ECS service, which is also its container's name, e.g. \"frontend-service\"."
  type        = string

  validation {
    # "<name>-<service_name>-task" must fit IAM's 64 characters.
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]*$", var.service_name)) && length(var.name) + length(var.service_name) <= 58
    error_message = "service_name must start with a letter, use letters, digits and hyphens, and leave \"<name>-<service_name>-task\" within 64 characters."
  }
}

variable "title" {
  description = "Short human name of the service in descriptions, e.g. \"Frontend\"."
  type        = string
}

variable "tags" {
  description = "Tags for every resource (the provider's default_tags add the rest)."
  type        = map(string)
  default     = {}
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "cluster_name" {
  description = "Name of that cluster (the scalable target's resource id and the ClusterName metric dimension)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the service's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in. Tasks never get a public IP: they reach AWS APIs through NAT or VPC endpoints."
  type        = list(string)
}

# --- the container ---------------------------------------------------------------------------

variable "image_repository" {
  description = "Image repository without tag, e.g. \"<account>.dkr.ecr.<region>.amazonaws.com/frontend-service\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$", var.image_repository))
    error_message = "image_repository must be a registry/repository path without tag or digest."
  }
}

variable "image_tag" {
  description = "Image tag (an immutable tag, e.g. the git commit)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a Docker tag: up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'."
  }
}

variable "port" {
  description = "Port the application listens on (PORT): the load balancer's target when load_balancer is set, else only the container health check's."
  type        = number

  validation {
    condition     = var.port >= 1024 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an unprivileged port, 1024-65535 (the container runs as a non-root user)."
  }
}

variable "environment" {
  description = "Environment variables of the container besides AWS_REGION and PORT, which the module sets. Never secrets: use secrets."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables ECS fills from SSM parameters or Secrets Manager secrets at start: name => ARN. The execution role must be allowed to read them (the caller owns it)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.secrets) : can(regex("^arn:aws[a-z-]*:(ssm|secretsmanager):", arn))])
    error_message = "secrets must map variable names to SSM parameter or Secrets Manager secret ARNs."
  }
}

variable "cpu" {
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Fargate task memory (MiB); must be a valid combination with cpu."
  type        = number
  default     = 512

  validation {
    condition     = contains(lookup(local.fargate_memory_by_cpu, tostring(var.cpu), []), var.memory)
    error_message = "memory is not a Fargate memory size for cpu (e.g. 256 CPU: 512, 1024 or 2048 MiB)."
  }
}

variable "container_user" {
  description = "Non-root \"uid:gid\" the container runs as (the images create uid 10001)."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[1-9][0-9]*(:[0-9]+)?$", var.container_user))
    error_message = "container_user must be a non-zero numeric uid, optionally with :gid (never root)."
  }
}

variable "health_check_start_period" {
  description = "Seconds after start during which failed container health checks do not count (the application's start-up)."
  type        = number
  default     = 15

  validation {
    condition     = var.health_check_start_period >= 0 && var.health_check_start_period <= 300
    error_message = "health_check_start_period must be between 0 and 300 (ECS's limit)."
  }
}

variable "log_retention_days" {
  description = "Retention of the service's CloudWatch log group (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "Customer-managed KMS key ARN for the log group; null keeps CloudWatch Logs' default encryption at rest. The key policy must allow the logs service principal."
  type        = string
  default     = null
}

# --- roles -----------------------------------------------------------------------------------

variable "execution_role" {
  description = "Role (name and ARN) the ECS agent uses for this service's tasks; the module attaches the policy for this service's image, log group and secrets to it."
  type = object({
    name = string
    arn  = string
  })
}

variable "task_role_trust_policy" {
  description = "Trust policy (JSON) of the task role: ECS tasks of this account only."
  type        = string
}

variable "task_role_policy_name" {
  description = "Name of the task role's inline policy, saying what the application may do, e.g. \"read-token-send-to-queue\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.task_role_policy_name))
    error_message = "task_role_policy_name must be 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "task_role_statements" {
  description = "What the application may do: IAM Allow statements (sid, actions, resources, optional conditions), each scoped to the ARNs it needs."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))

  validation {
    condition     = length(var.task_role_statements) > 0 && alltrue([for s in var.task_role_statements : !contains(s.resources, "*")])
    error_message = "task_role_statements must hold at least one statement, none with Resource \"*\"."
  }
}

variable "enable_execute_command" {
  description = "Enable ECS Exec (an interactive shell in running tasks); also grants the task role the ssmmessages channel actions."
  type        = bool
  default     = false
}

# --- network, load balancer, scaling -----------------------------------------------------------

variable "load_balancer" {
  description = "Register the tasks in an ALB ip target group on port: the target group, the ALB's security group (the only ingress source) and the seconds ECS ignores failing ALB health checks of a new task. null: no load balancer, no ingress."
  type = object({
    target_group_arn                  = string
    security_group_id                 = string
    health_check_grace_period_seconds = optional(number, 30)
  })
  default = null
}

variable "egress_cidr_blocks" {
  description = "Destinations of the tasks' only egress rule, HTTPS (443)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "egress_prefix_list_ids" {
  description = "Managed prefix lists the tasks may also reach on 443 (e.g. the S3 gateway endpoint's)."
  type        = list(string)
  default     = []
}

variable "desired_count" {
  description = "Tasks at creation; afterwards autoscaling (when on) owns the count and Terraform ignores drift."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count && (var.autoscaling == null || try(var.desired_count >= var.autoscaling.min_count && var.desired_count <= var.autoscaling.max_count, false))
    error_message = "desired_count must be a whole number >= 0, between autoscaling's min_count and max_count when autoscaling is on."
  }
}

variable "autoscaling" {
  description = "Target tracking between min_count and max_count on any of: cpu_target (average CPU %), requests_per_target (ALB requests per task per minute, with the \"app/.../targetgroup/...\" resource label), backlog_per_task (visible messages of queue_name per running task; needs Container Insights on the cluster). null: no autoscaling."
  type = object({
    min_count  = number
    max_count  = number
    cpu_target = optional(number)
    requests_per_target = optional(object({
      target         = number
      resource_label = string
    }))
    backlog_per_task = optional(object({
      target     = number
      queue_name = string
    }))
  })
  default = null

  validation {
    condition = var.autoscaling == null || try(
      var.autoscaling.min_count >= 1 && var.autoscaling.max_count >= var.autoscaling.min_count &&
      floor(var.autoscaling.min_count) == var.autoscaling.min_count && floor(var.autoscaling.max_count) == var.autoscaling.max_count,
      false
    )
    error_message = "autoscaling.min_count must be a whole number >= 1 and max_count a whole number >= min_count."
  }

  validation {
    # Conditionals, not ||: HCL evaluates both sides of || and null >= 10 is an error.
    condition = var.autoscaling == null ? true : (
      (var.autoscaling.cpu_target == null ? true : var.autoscaling.cpu_target >= 10 && var.autoscaling.cpu_target <= 90) &&
      (var.autoscaling.requests_per_target == null ? true : var.autoscaling.requests_per_target.target > 0) &&
      (var.autoscaling.backlog_per_task == null ? true : var.autoscaling.backlog_per_task.target > 0) &&
      (var.autoscaling.cpu_target != null || var.autoscaling.requests_per_target != null || var.autoscaling.backlog_per_task != null)
    )
    error_message = "autoscaling needs at least one policy: cpu_target between 10 and 90 (%), requests_per_target.target > 0 or backlog_per_task.target > 0."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the IAM roles this module creates (the CI deploy role may only create roles that carry it: modules/github-oidc `permissions_boundary_arn`). Default null: no boundary."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN, or null."
  }
}
