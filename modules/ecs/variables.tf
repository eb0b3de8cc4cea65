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
  description = "Security group of the ALB: the only source allowed to reach the frontend (on its container port)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.alb_security_group_id))
    error_message = "alb_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "target_group_arn" {
  description = "ARN of the ALB's ip target group the frontend registers its tasks in."
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
  description = "URL of the SQS queue (QUEUE_URL of both services)."
  type        = string

  validation {
    condition     = can(regex("^https?://", var.queue_url))
    error_message = "queue_url must be an http(s) URL."
  }
}

variable "queue_arn" {
  description = "ARN of the SQS queue: the frontend may only send to it, the worker only receive, delete and change visibility."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}(\\.fifo)?$", var.queue_arn))
    error_message = "queue_arn must be an SQS queue ARN."
  }
}

variable "queue_name" {
  description = "Name of the SQS queue (the QueueName dimension of the worker's backlog metric)."
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
  description = "Name of the S3 bucket the worker writes messages to (DATA_BUCKET)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket; the worker may put objects under data_prefix only."
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
  description = "Key prefix the worker writes under (DATA_PREFIX); also the scope of its s3:PutObject permission. Empty or path segments ending in \"/\"."
  type        = string
  default     = "messages/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)*$", var.data_prefix))
    error_message = "data_prefix must be empty or path segments ending in \"/\", e.g. \"messages/\"."
  }
}

variable "frontend_image_repository" {
  description = "Image repository of the frontend without tag, e.g. \"<account>.dkr.ecr.<region>.amazonaws.com/frontend-service\". An ECR repository also scopes the execution role's pull permission."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$", var.frontend_image_repository))
    error_message = "frontend_image_repository must be a registry/repository path without tag or digest."
  }
}

variable "frontend_image_tag" {
  description = "Image tag of the frontend (an immutable tag, e.g. the git commit)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.frontend_image_tag))
    error_message = "frontend_image_tag must be a Docker tag: up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'."
  }
}

variable "worker_image_repository" {
  description = "Image repository of the worker without tag, e.g. \"<account>.dkr.ecr.<region>.amazonaws.com/sqs-puller-service\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$", var.worker_image_repository))
    error_message = "worker_image_repository must be a registry/repository path without tag or digest."
  }
}

variable "worker_image_tag" {
  description = "Image tag of the worker (an immutable tag, e.g. the git commit)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.worker_image_tag))
    error_message = "worker_image_tag must be a Docker tag: up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'."
  }
}

variable "frontend_cpu" {
  description = "Fargate task CPU units of the frontend (256, 512, 1024, 2048, 4096, 8192 or 16384)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.frontend_cpu)
    error_message = "frontend_cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "frontend_memory" {
  description = "Fargate task memory (MiB) of the frontend; must be a valid combination with frontend_cpu."
  type        = number
  default     = 512

  validation {
    condition     = contains(lookup(local.fargate_memory_by_cpu, tostring(var.frontend_cpu), []), var.frontend_memory)
    error_message = "frontend_memory is not a Fargate memory size for frontend_cpu (e.g. 256 CPU: 512, 1024 or 2048 MiB)."
  }
}

variable "worker_cpu" {
  description = "Fargate task CPU units of the worker (256, 512, 1024, 2048, 4096, 8192 or 16384)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.worker_cpu)
    error_message = "worker_cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "worker_memory" {
  description = "Fargate task memory (MiB) of the worker; must be a valid combination with worker_cpu."
  type        = number
  default     = 512

  validation {
    condition     = contains(lookup(local.fargate_memory_by_cpu, tostring(var.worker_cpu), []), var.worker_memory)
    error_message = "worker_memory is not a Fargate memory size for worker_cpu (e.g. 256 CPU: 512, 1024 or 2048 MiB)."
  }
}

variable "frontend_desired_count" {
  description = "Frontend tasks at creation; afterwards autoscaling owns the count (Terraform ignores drift)."
  type        = number
  default     = 2

  validation {
    condition     = var.frontend_desired_count >= var.frontend_min_count && var.frontend_desired_count <= var.frontend_max_count
    error_message = "frontend_desired_count must lie between frontend_min_count and frontend_max_count."
  }
}

variable "frontend_min_count" {
  description = "Minimum frontend tasks kept by autoscaling (at least 1)."
  type        = number
  default     = 2

  validation {
    condition     = var.frontend_min_count >= 1 && floor(var.frontend_min_count) == var.frontend_min_count
    error_message = "frontend_min_count must be a whole number >= 1."
  }
}

variable "frontend_max_count" {
  description = "Maximum frontend tasks autoscaling may run."
  type        = number
  default     = 6

  validation {
    condition     = var.frontend_max_count >= var.frontend_min_count && floor(var.frontend_max_count) == var.frontend_max_count
    error_message = "frontend_max_count must be a whole number >= frontend_min_count."
  }
}

variable "worker_min_count" {
  description = "Minimum worker tasks (at least 1, so the queue is always being drained and the backlog-per-task metric has a divisor)."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_min_count >= 1 && floor(var.worker_min_count) == var.worker_min_count
    error_message = "worker_min_count must be a whole number >= 1."
  }
}

variable "worker_max_count" {
  description = "Maximum worker tasks autoscaling may run."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_max_count >= var.worker_min_count && floor(var.worker_max_count) == var.worker_max_count
    error_message = "worker_max_count must be a whole number >= worker_min_count."
  }
}

variable "enable_autoscaling" {
  description = "Manage the services' task counts with Application Auto Scaling (CPU, request and backlog target tracking). False keeps the counts at frontend_desired_count and worker_min_count; meant for emulators without Application Auto Scaling tagging, not for AWS."
  type        = bool
  default     = true
}

variable "worker_backlog_per_task_target" {
  description = "Target of visible messages per running worker task (ApproximateNumberOfMessagesVisible / RunningTaskCount): roughly the messages one task processes within the acceptable latency."
  type        = number
  default     = 100

  validation {
    condition     = var.worker_backlog_per_task_target > 0
    error_message = "worker_backlog_per_task_target must be positive."
  }
}

variable "frontend_cpu_target" {
  description = "Target average CPU utilisation (%) of the frontend service."
  type        = number
  default     = 60

  validation {
    condition     = var.frontend_cpu_target >= 10 && var.frontend_cpu_target <= 90
    error_message = "frontend_cpu_target must be between 10 and 90 (%)."
  }
}

variable "frontend_requests_per_target" {
  description = "Target ALB requests per frontend task per minute (ALBRequestCountPerTarget)."
  type        = number
  default     = 1000

  validation {
    condition     = var.frontend_requests_per_target > 0
    error_message = "frontend_requests_per_target must be positive."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing ALB health checks of a new frontend task (gunicorn start-up)."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must be between 0 and 2147483647."
  }
}

variable "token_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the frontend's API token (TOKEN_PARAMETER)."
  type        = string
  default     = "/app/frontend/token"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.token_parameter_name)) && !can(regex("^/(aws|ssm)", lower(var.token_parameter_name)))
    error_message = "token_parameter_name must be an absolute SSM path (/a/b) not starting with /aws or /ssm."
  }
}

variable "token_version" {
  description = "Version of the generated token. Terraform writes a new random token (write-only, never stored in state) only when this number changes: bump it to rotate."
  type        = number
  default     = 1

  validation {
    condition     = var.token_version >= 1 && floor(var.token_version) == var.token_version
    error_message = "token_version must be a whole number >= 1."
  }
}

variable "token_length" {
  description = "Length of the generated token (letters and digits)."
  type        = number
  default     = 48

  validation {
    condition     = var.token_length >= 32 && var.token_length <= 4096
    error_message = "token_length must be between 32 and 4096."
  }
}

variable "token_kms_key_arn" {
  description = "Customer-managed KMS key ARN for the token parameter; null uses the AWS-managed aws/ssm key (then the frontend needs no KMS permission)."
  type        = string
  default     = null

  validation {
    condition     = var.token_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.token_kms_key_arn))
    error_message = "token_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the services' CloudWatch log groups (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
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
  description = "Enable Container Insights on the cluster. The worker's backlog-per-task scaling divides by Container Insights' RunningTaskCount, so it may be false only with enable_autoscaling = false."
  type        = bool
  default     = true

  validation {
    condition     = var.container_insights || !var.enable_autoscaling
    error_message = "container_insights must be true while enable_autoscaling is: the worker scales on ApproximateNumberOfMessagesVisible / ECS/ContainerInsights RunningTaskCount."
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
  description = "Enable ECS Exec on both services (an interactive shell in running tasks). Off by default; turning it on also grants the task roles the ssmmessages channel actions."
  type        = bool
  default     = false
}

variable "container_user" {
  description = "Non-root \"uid:gid\" the containers run as (the images create uid 10001)."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[1-9][0-9]*(:[0-9]+)?$", var.container_user))
    error_message = "container_user must be a non-zero numeric uid, optionally with :gid (never root)."
  }
}
