variable "name" {
  description = "Prefix of the keys' aliases (alias/<name>-<key>) and descriptions, e.g. devops-prod."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,200}$", var.name)) && !startswith(var.name, "aws")
    error_message = "name must be letters, digits, '/', '_' or '-' and must not start with \"aws\" (reserved alias prefix)."
  }
}

variable "keys" {
  description = <<-EOT
    One customer-managed key per entry (the map key names the key and its alias):
    `description`; `via_services`, the services the consumers use it through (service names
    such as "s3", "sqs": the kms:ViaService condition); `consumer_arns`, ARN patterns of the
    roles of this account that may use it (aws:PrincipalArn, e.g. role/devops-prod-*; they also
    need an IAM policy naming the key); `log_groups`, name patterns of the CloudWatch log groups
    the logs service may encrypt with it (the encryption-context condition). Default: no keys.
  EOT
  type = map(object({
    description   = string
    via_services  = optional(list(string), [])
    consumer_arns = optional(list(string), [])
    log_groups    = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for name, key in var.keys : can(regex("^[a-z0-9-]{1,32}$", name))])
    error_message = "Key names must be 1-32 lower-case letters, digits or '-'."
  }

  validation {
    condition     = alltrue([for key in var.keys : (length(key.consumer_arns) > 0) == (length(key.via_services) > 0)])
    error_message = "A key's consumer_arns and via_services go together: consumers use a key only through a service."
  }

  validation {
    condition     = alltrue([for key in var.keys : length(key.consumer_arns) > 0 || length(key.log_groups) > 0])
    error_message = "Every key needs a consumer (consumer_arns with via_services, or log_groups): a key nobody may use is useless."
  }

  validation {
    condition     = alltrue(flatten([for key in var.keys : [for arn in key.consumer_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", arn))]]))
    error_message = "consumer_arns must be IAM role ARNs (patterns allowed: role/devops-prod-*)."
  }
}

variable "deletion_window_days" {
  description = "Waiting period before a key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30 && floor(var.deletion_window_days) == var.deletion_window_days
    error_message = "deletion_window_days must be an integer between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for every key (the provider's default tags add the rest)."
  type        = map(string)
  default     = {}
}
