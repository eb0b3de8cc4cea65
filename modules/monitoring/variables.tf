# --- what is watched -------------------------------------------------------------------------

variable "name" {
  description = "Name prefix of every resource (\"<name>-alarms\" topic, \"<name>-<alarm>\" alarms, \"<name>\" dashboard), e.g. devops-prod."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be 1-200 characters of letters, digits, '-' or '_'."
  }
}

variable "queue_name" {
  description = "Name of the main SQS queue (dimension QueueName of the age alarm and the dashboard)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.queue_name))
    error_message = "queue_name must be an SQS queue name (1-80 letters, digits, '-' or '_')."
  }
}

variable "dlq_name" {
  description = "Name of the dead-letter queue (dimension QueueName of the DLQ alarm)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.dlq_name))
    error_message = "dlq_name must be an SQS queue name (1-80 letters, digits, '-' or '_')."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer, \"app/<name>/<id>\" (dimension LoadBalancer)."
  type        = string

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<id> (the aws_lb arn_suffix)."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the frontend's target group, \"targetgroup/<name>/<id>\" (dimension TargetGroup)."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/<name>/<id> (the aws_lb_target_group arn_suffix)."
  }
}

variable "cluster_name" {
  description = "Name of the ECS cluster (dimension ClusterName)."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0 && length(var.cluster_name) <= 255
    error_message = "cluster_name must be 1-255 characters."
  }
}

variable "services" {
  description = "ECS services to watch, role => service name (e.g. { frontend = \"frontend-service\", worker = \"queue-worker-service\" }); one tasks-below-desired alarm and one dashboard line each."
  type        = map(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for k, v in var.services : can(regex("^[a-z][a-z0-9-]*$", k)) && length(v) > 0])
    error_message = "services must name at least one service; keys are lower-case roles (letters, digits, '-')."
  }
}

# --- notifications ---------------------------------------------------------------------------

variable "kms_key_arn" {
  description = "ARN of an existing customer-managed KMS key for the topic; null creates a key in this module (rotation on, usable by CloudWatch alarms and SNS of this account only). A given key's policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (not an alias: key policies are per key)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the module's KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be an integer between 7 and 30."
  }
}

variable "alarm_email_addresses" {
  description = "Email addresses subscribed to the alarm topic (each must confirm the subscription mail)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alarm_email_addresses must be email addresses."
  }
}

variable "alarm_https_endpoints" {
  description = "HTTPS endpoints subscribed to the alarm topic (a chat/paging relay). The URL lands in state and plans: never one carrying a secret."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for url in var.alarm_https_endpoints : startswith(url, "https://")])
    error_message = "alarm_https_endpoints must be https:// URLs (SNS would send alarms in clear text to http://)."
  }
}

# --- alarms: thresholds and periods ------------------------------------------------------------
# Each alarm takes a map with any of threshold, period_seconds, evaluation_periods and
# datapoints_to_alarm (the rest keep their defaults, merged in locals.tf): the alarm breaches
# when its metric is above threshold in datapoints_to_alarm of the last evaluation_periods
# periods of period_seconds.

variable "dlq_messages_alarm" {
  description = "DLQ alarm: ApproximateNumberOfMessagesVisible of the dead-letter queue above `threshold` messages. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 0, period_seconds = 60, evaluation_periods = 1, datapoints_to_alarm = 1 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.dlq_messages_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "dlq_messages_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.dlq_messages_alarm, "threshold", 0) >= 0
    error_message = "dlq_messages_alarm.threshold must be >= 0."
  }

  validation {
    condition     = contains([10, 30], lookup(var.dlq_messages_alarm, "period_seconds", 60)) || (lookup(var.dlq_messages_alarm, "period_seconds", 60) >= 60 && lookup(var.dlq_messages_alarm, "period_seconds", 60) % 60 == 0)
    error_message = "dlq_messages_alarm.period_seconds must be 10, 30 or a multiple of 60."
  }

  validation {
    condition     = lookup(var.dlq_messages_alarm, "evaluation_periods", 1) >= 1 && lookup(var.dlq_messages_alarm, "datapoints_to_alarm", 1) >= 1 && lookup(var.dlq_messages_alarm, "datapoints_to_alarm", 1) <= lookup(var.dlq_messages_alarm, "evaluation_periods", 1)
    error_message = "dlq_messages_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "queue_age_alarm" {
  description = "Backlog alarm: ApproximateAgeOfOldestMessage of the main queue above `threshold` seconds. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 900, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.queue_age_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "queue_age_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.queue_age_alarm, "threshold", 900) > 0
    error_message = "queue_age_alarm.threshold must be > 0."
  }

  validation {
    condition     = contains([10, 30], lookup(var.queue_age_alarm, "period_seconds", 60)) || (lookup(var.queue_age_alarm, "period_seconds", 60) >= 60 && lookup(var.queue_age_alarm, "period_seconds", 60) % 60 == 0)
    error_message = "queue_age_alarm.period_seconds must be 10, 30 or a multiple of 60."
  }

  validation {
    condition     = lookup(var.queue_age_alarm, "evaluation_periods", 5) >= 1 && lookup(var.queue_age_alarm, "datapoints_to_alarm", 5) >= 1 && lookup(var.queue_age_alarm, "datapoints_to_alarm", 5) <= lookup(var.queue_age_alarm, "evaluation_periods", 5)
    error_message = "queue_age_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "alb_5xx_alarm" {
  description = "Error-rate alarm: (HTTPCode_ELB_5XX_Count + HTTPCode_Target_5XX_Count) / RequestCount of the load balancer above `threshold` percent. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 5, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.alb_5xx_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "alb_5xx_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.alb_5xx_alarm, "threshold", 5) > 0 && lookup(var.alb_5xx_alarm, "threshold", 5) <= 100
    error_message = "alb_5xx_alarm.threshold is a percentage: > 0 and <= 100."
  }

  validation {
    condition     = lookup(var.alb_5xx_alarm, "period_seconds", 60) >= 60 && lookup(var.alb_5xx_alarm, "period_seconds", 60) % 60 == 0
    error_message = "alb_5xx_alarm.period_seconds must be a multiple of 60 (these metrics are published per minute)."
  }

  validation {
    condition     = lookup(var.alb_5xx_alarm, "evaluation_periods", 5) >= 1 && lookup(var.alb_5xx_alarm, "datapoints_to_alarm", 3) >= 1 && lookup(var.alb_5xx_alarm, "datapoints_to_alarm", 3) <= lookup(var.alb_5xx_alarm, "evaluation_periods", 5)
    error_message = "alb_5xx_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "unhealthy_targets_alarm" {
  description = "Target-health alarm: UnHealthyHostCount (Maximum) of the frontend target group above `threshold` targets. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 0, period_seconds = 60, evaluation_periods = 3, datapoints_to_alarm = 3 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.unhealthy_targets_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "unhealthy_targets_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.unhealthy_targets_alarm, "threshold", 0) >= 0
    error_message = "unhealthy_targets_alarm.threshold must be >= 0."
  }

  validation {
    condition     = lookup(var.unhealthy_targets_alarm, "period_seconds", 60) >= 60 && lookup(var.unhealthy_targets_alarm, "period_seconds", 60) % 60 == 0
    error_message = "unhealthy_targets_alarm.period_seconds must be a multiple of 60 (these metrics are published per minute)."
  }

  validation {
    condition     = lookup(var.unhealthy_targets_alarm, "evaluation_periods", 3) >= 1 && lookup(var.unhealthy_targets_alarm, "datapoints_to_alarm", 3) >= 1 && lookup(var.unhealthy_targets_alarm, "datapoints_to_alarm", 3) <= lookup(var.unhealthy_targets_alarm, "evaluation_periods", 3)
    error_message = "unhealthy_targets_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "tasks_below_desired_alarm" {
  description = "Capacity alarm, one per service: DesiredTaskCount - RunningTaskCount (Container Insights) above `threshold` tasks; the default 10 minutes outlast a Fargate task's 1-3 minute start during deployments and scale-out. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 0, period_seconds = 60, evaluation_periods = 10, datapoints_to_alarm = 10 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.tasks_below_desired_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "tasks_below_desired_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.tasks_below_desired_alarm, "threshold", 0) >= 0
    error_message = "tasks_below_desired_alarm.threshold must be >= 0."
  }

  validation {
    condition     = lookup(var.tasks_below_desired_alarm, "period_seconds", 60) >= 60 && lookup(var.tasks_below_desired_alarm, "period_seconds", 60) % 60 == 0
    error_message = "tasks_below_desired_alarm.period_seconds must be a multiple of 60 (these metrics are published per minute)."
  }

  validation {
    condition     = lookup(var.tasks_below_desired_alarm, "evaluation_periods", 10) >= 1 && lookup(var.tasks_below_desired_alarm, "datapoints_to_alarm", 10) >= 1 && lookup(var.tasks_below_desired_alarm, "datapoints_to_alarm", 10) <= lookup(var.tasks_below_desired_alarm, "evaluation_periods", 10)
    error_message = "tasks_below_desired_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "response_time_p99_alarm" {
  description = "Latency alarm: TargetResponseTime p99 of the frontend target group above `threshold` seconds. Keys (all optional): threshold, period_seconds, evaluation_periods, datapoints_to_alarm; defaults { threshold = 1, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.response_time_p99_alarm) : contains(["threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm"], key)])
    error_message = "response_time_p99_alarm takes only threshold, period_seconds, evaluation_periods and datapoints_to_alarm."
  }

  validation {
    condition     = lookup(var.response_time_p99_alarm, "threshold", 1) > 0
    error_message = "response_time_p99_alarm.threshold must be > 0."
  }

  validation {
    condition     = lookup(var.response_time_p99_alarm, "period_seconds", 60) >= 60 && lookup(var.response_time_p99_alarm, "period_seconds", 60) % 60 == 0
    error_message = "response_time_p99_alarm.period_seconds must be a multiple of 60 (these metrics are published per minute)."
  }

  validation {
    condition     = lookup(var.response_time_p99_alarm, "evaluation_periods", 5) >= 1 && lookup(var.response_time_p99_alarm, "datapoints_to_alarm", 3) >= 1 && lookup(var.response_time_p99_alarm, "datapoints_to_alarm", 3) <= lookup(var.response_time_p99_alarm, "evaluation_periods", 5)
    error_message = "response_time_p99_alarm needs 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "tags" {
  description = "Tags for every resource (the provider's default tags add the rest)."
  type        = map(string)
  default     = {}
}
