variable "repository_names" {
  description = "Names of the ECR repositories to create."
  type        = list(string)
  default     = ["frontend-service", "sqs-puller-service"]

  validation {
    condition     = length(var.repository_names) > 0 && alltrue([for n in var.repository_names : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", n)) && length(n) <= 256])
    error_message = "repository_names must be non-empty, each a valid ECR repository name (lowercase, digits, '.', '_', '-', '/')."
  }

  validation {
    condition     = length(distinct(var.repository_names)) == length(var.repository_names)
    error_message = "repository_names must not contain duplicates."
  }
}

variable "max_image_count" {
  description = "Images kept per repository; the lifecycle policy expires older ones."
  type        = number
  default     = 30

  validation {
    condition     = var.max_image_count >= 1 && var.max_image_count <= 10000 && floor(var.max_image_count) == var.max_image_count
    error_message = "max_image_count must be an integer between 1 and 10000."
  }
}

variable "force_delete" {
  description = "Allow deleting repositories that still contain images (non-production only)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key for image encryption; null uses AES256 (ECR-managed)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "tags" {
  description = "Tags for every resource (the provider's default tags add the rest)."
  type        = map(string)
  default     = {}
}
