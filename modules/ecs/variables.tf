variable "name" {
  description = "Name prefix, e.g. \"devops-prod\": the cluster is \"<name>-cluster\", log groups \"/ecs/<name>/<service>\", roles and security groups \"<name>-<service>-...\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,30}$", var.name))
    error_message = "name must start with a letter and use at most 31 letters, digits and hyphens (it prefixes IAM role names limited to 64 characters)."
  }
}

variable "tags" {
  description = "Tags for every resource (the provider's default_tags add the rest)."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "VPC of the services' security groups."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (at least two, in different AZs). Tasks never get a public IP: they reach AWS APIs through NAT or VPC endpoints."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "private_subnet_ids must hold at least two subnet IDs (subnet-...)."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the ALB: the only source allowed to reach the load-balanced service (on its container port)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.alb_security_group_id))
    error_message = "alb_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "target_group_arn" {
  description = "ARN of the ALB's ip target group the load_balanced service registers its tasks in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$", var.target_group_arn))
    error_message = "target_group_arn must be an elasticloadbalancing target group ARN."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB (\"app/<name>/<id>\"), the first half of the ALBRequestCountPerTarget resource label."
  type        = string

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]{1,32}/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<id>."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (\"targetgroup/<name>/<id>\"), the second half of the ALBRequestCountPerTarget resource label."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/<name>/<id>."
  }
}

variable "queue_url" {
  description = "URL of the SQS queue (QUEUE_URL of the services with send-to-queue or consume-queue access)."
  type        = string

  validation {
    condition     = can(regex("^https?://", var.queue_url))
    error_message = "queue_url must be an http(s) URL."
  }
}

variable "queue_arn" {
  description = "ARN of the SQS queue: send-to-queue may only send to it, consume-queue only receive, delete and change visibility."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}(\\.fifo)?$", var.queue_arn))
    error_message = "queue_arn must be an SQS queue ARN."
  }
}

variable "queue_name" {
  description = "Name of the SQS queue (the QueueName dimension of backlog_per_task scaling)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}(\\.fifo)?$", var.queue_name))
    error_message = "queue_name must be 1-80 letters, digits, hyphens or underscores (optionally .fifo)."
  }
}

variable "queue_kms_key_arn" {
  description = "KMS key ARN that encrypts the queue; null when the queue uses SQS-managed SSE (then no KMS permission is granted)."
  type        = string
  default     = null

  validation {
    condition     = var.queue_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.queue_kms_key_arn))
    error_message = "queue_kms_key_arn must be null or a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>)."
  }
}

variable "data_bucket_name" {
  description = "Name of the S3 bucket write-data writes messages to (DATA_BUCKET)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket; write-data may put objects under data_prefix only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_arn))
    error_message = "data_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "data_bucket_kms_key_arn" {
  description = "KMS key ARN that encrypts the data bucket; null for SSE-S3 (then no KMS permission is granted)."
  type        = string
  default     = null

  validation {
    condition     = var.data_bucket_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.data_bucket_kms_key_arn))
    error_message = "data_bucket_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "data_prefix" {
  description = "Key prefix write-data writes under (DATA_PREFIX); also the scope of its s3:PutObject permission. Empty or path segments ending in \"/\"."
  type        = string
  default     = "messages/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)*$", var.data_prefix))
    error_message = "data_prefix must be empty or path segments ending in \"/\", e.g. \"messages/\"."
  }
}

variable "services" {
  description = <<-EOT
    The services, by key (the key's title names the service in descriptions). Each entry:
    service_name (ECS service and container name), image_repository and image_tag, port,
    access (what the task role may do, each grant with the variables that go with it:
    "read-token" TOKEN_PARAMETER, "send-to-queue" and "consume-queue" QUEUE_URL, "write-data"
    DATA_BUCKET and DATA_PREFIX), load_balanced (register in target_group_arn; at most one
    service), cpu and memory (Fargate sizes), min_count, max_count and desired_count (tasks;
    desired_count defaults to min_count), health_check_start_period (seconds), scaling
    (target-tracking targets: cpu_target %, requests_per_target per task and minute,
    backlog_per_task visible messages per task; each null for no such policy), environment
    (more variables) and secrets (variable => SSM parameter or secret ARN).
  EOT
  type = map(object({
    service_name              = string
    image_repository          = string
    image_tag                 = string
    port                      = number
    access                    = list(string)
    load_balanced             = optional(bool, false)
    cpu                       = optional(number, 256)
    memory                    = optional(number, 512)
    min_count                 = optional(number, 1)
    max_count                 = optional(number, 2)
    desired_count             = optional(number)
    health_check_start_period = optional(number, 15)
    scaling = optional(object({
      cpu_target          = optional(number)
      requests_per_target = optional(number)
      backlog_per_task    = optional(number)
    }), {})
    environment = optional(map(string), {})
    secrets     = optional(map(string), {})
  }))

  validation {
    condition     = length(var.services) > 0 && alltrue([for key in keys(var.services) : can(regex("^[a-z][a-z0-9_]*$", key))])
    error_message = "services must hold at least one entry, keyed by lowercase identifiers (e.g. frontend)."
  }

  validation {
    condition = alltrue([for service in var.services : length(service.access) > 0 && alltrue([
      for grant in service.access : contains(["read-token", "send-to-queue", "consume-queue", "write-data"], grant)
    ])])
    error_message = "Every service's access must name at least one of read-token, send-to-queue, consume-queue, write-data."
  }

  validation {
    condition     = length([for service in var.services : service if service.load_balanced]) <= 1
    error_message = "At most one service may be load_balanced: the ALB has one target group."
  }

  validation {
    condition     = length(distinct([for service in var.services : service.service_name])) == length(var.services)
    error_message = "Every service needs its own service_name."
  }

  validation {
    condition = alltrue([for service in var.services :
      service.scaling.requests_per_target == null || service.load_balanced
    ])
    error_message = "scaling.requests_per_target needs load_balanced = true (it tracks the target group's requests)."
  }
}

variable "container_user" {
  description = "Non-root \"uid:gid\" the containers run as (the images create uid 10001)."
  type        = string
  default     = "10001:10001"
}

variable "enable_autoscaling" {
  description = "Manage the services' task counts with Application Auto Scaling (each service's scaling policies between min_count and max_count). False keeps every count at its desired_count."
  type        = bool
  default     = true
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing ALB health checks of a new task of the load-balanced service (gunicorn start-up)."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must be between 0 and 2147483647."
  }
}

variable "token_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the API token (TOKEN_PARAMETER of read-token access)."
  type        = string
  default     = "/app/frontend/token"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.token_parameter_name)) && !can(regex("^/(aws|ssm)", lower(var.token_parameter_name)))
    error_message = "token_parameter_name must be an absolute SSM path (/a/b) not starting with /aws or /ssm."
  }
}

variable "token_operator_arns" {
  description = "IAM principal ARNs (aws:PrincipalArn, `*` wildcards allowed, e.g. an SSO permission set's roles) that create and rotate the token with `make token` / `make rotate-token`: the token key's policy lets them encrypt and decrypt through SSM, for the token parameter only. Their own IAM policies must allow the same. Empty: only the read-token services may use the key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.token_operator_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9_+=,.@/*-]+$", arn))])
    error_message = "token_operator_arns must be IAM role or user ARNs (arn:aws:iam::<account>:role/...), optionally with * wildcards."
  }
}

variable "token_key_deletion_window_days" {
  description = "Days a deleted token key stays recoverable (7-30) before KMS destroys it and, with it, every token encrypted under it."
  type        = number
  default     = 30

  validation {
    condition     = var.token_key_deletion_window_days >= 7 && var.token_key_deletion_window_days <= 30 && floor(var.token_key_deletion_window_days) == var.token_key_deletion_window_days
    error_message = "token_key_deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "log_retention_days" {
  description = "Retention of the services' CloudWatch log groups (a value CloudWatch Logs accepts; modules/ecs-service validates it)."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "Customer-managed KMS key ARN for the log groups; null keeps CloudWatch Logs' default encryption at rest. The key policy must allow the logs service principal."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "container_insights" {
  description = "Enable Container Insights on the cluster. Backlog-per-task scaling divides by Container Insights' RunningTaskCount, so it may be false only when no service scales on backlog_per_task (or enable_autoscaling = false)."
  type        = bool
  default     = true

  validation {
    condition     = var.container_insights || !var.enable_autoscaling || alltrue([for service in var.services : service.scaling.backlog_per_task == null])
    error_message = "container_insights must be true while a service scales on backlog_per_task: ApproximateNumberOfMessagesVisible / ECS/ContainerInsights RunningTaskCount."
  }
}

variable "egress_cidr_blocks" {
  description = "Destinations of the tasks' only egress rule, HTTPS (443): AWS APIs, ECR and S3. Keep 0.0.0.0/0 while any of them is reached through the NAT gateway (public AWS endpoints have no stable CIDRs); narrow to the VPC CIDR when every API has an interface endpoint and S3 is reached through egress_prefix_list_ids."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for cidr in var.egress_cidr_blocks : can(cidrhost(cidr, 0)) && can(regex("^[0-9.]+/[0-9]+$", cidr))])
    error_message = "egress_cidr_blocks must be IPv4 CIDR blocks."
  }
}

variable "egress_prefix_list_ids" {
  description = "Managed prefix lists the tasks may also reach on 443, e.g. the S3 gateway endpoint's (com.amazonaws.<region>.s3) when egress_cidr_blocks is narrowed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.egress_prefix_list_ids : can(regex("^pl-[0-9a-f]{8,17}$", id))])
    error_message = "egress_prefix_list_ids must be prefix list IDs (pl-...)."
  }
}

variable "enable_execute_command" {
  description = "Enable ECS Exec on every service (an interactive shell in running tasks). Off by default; turning it on also grants the task roles the ssmmessages channel actions."
  type        = bool
  default     = false
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
