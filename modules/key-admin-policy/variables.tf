variable "account_id" {
  description = "The account whose IAM administers the key (its root principal delegates to IAM policies)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "partition" {
  description = "The AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"

  validation {
    condition     = can(regex("^aws(-[a-z-]+)?$", var.partition))
    error_message = "partition must be an AWS partition such as aws or aws-cn."
  }
}
