variable "service" {
  description = "IAM service prefix of the denied actions (\"s3\" denies s3:*, \"sqs\" denies sqs:*)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.service))
    error_message = "service must be an IAM service prefix such as s3 or sqs."
  }
}

variable "resource_arns" {
  description = "ARNs the statement covers (for a bucket: the bucket and \"<bucket>/*\")."
  type        = list(string)

  validation {
    condition     = length(var.resource_arns) > 0 && alltrue([for arn in var.resource_arns : startswith(arn, "arn:")])
    error_message = "resource_arns must hold at least one ARN."
  }
}
