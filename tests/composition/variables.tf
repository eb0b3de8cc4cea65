variable "name" {
  description = "Environment name prefix (cluster \"<name>-cluster\")."
  type        = string
  default     = "devops-ci"
}

variable "image_tag" {
  description = "Image tag of both services."
  type        = string
  default     = "0123456789abcdef0123456789abcdef01234567"
}
