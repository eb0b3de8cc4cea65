variable "name" {
  description = "Name of the load balancer and prefix of its security group, target group and access-log bucket."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,21}[A-Za-z0-9]$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 2-23 letters, digits or '-', not starting or ending with '-' (the target group adds \"-tg\" and names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the load balancer and its targets."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC; the load balancer may reach its targets only inside it. An input, not a lookup, so a fresh environment plans before its VPC exists."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two availability zones) for the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for s in var.public_subnet_ids : startswith(s, "subnet-")])
    error_message = "public_subnet_ids must hold at least two subnet IDs."
  }
}

variable "certificate" {
  description = "The certificate this module requests from ACM and validates through DNS: `domain_name` (the name clients use) and `route53_zone_id` (the public hosted zone of that name, where the validation record is written). When set, an HTTPS listener serves traffic and HTTP redirects to it. null (default) with `certificate_arn` null serves plain HTTP (local, dev)."
  type = object({
    domain_name     = string
    route53_zone_id = string
  })
  default = null

  validation {
    condition = var.certificate == null || (
      can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.certificate.domain_name)) &&
      can(regex("^Z[A-Z0-9]{1,31}$", var.certificate.route53_zone_id))
    )
    error_message = "certificate.domain_name must be a lower-case DNS name and certificate.route53_zone_id a hosted zone ID (Z...)."
  }
}

variable "certificate_arn" {
  description = "ARN of an existing certificate (ACM or IAM), for a domain whose zone is not in this account; an alternative to `certificate`, never both. null (default) with `certificate` null serves plain HTTP."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:[a-z-]+:(acm|iam):", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM (or IAM server certificate) ARN."
  }

  validation {
    condition     = var.certificate_arn == null || var.certificate == null
    error_message = "Set certificate (a new DNS-validated ACM certificate) or certificate_arn (an existing one), not both."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.2 or newer)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)", var.ssl_policy))
    error_message = "ssl_policy must be a TLS 1.2+ ELB security policy (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-*, -FS-1-2-*)."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (disable only for ephemeral environments)."
  type        = bool
  default     = true
}

variable "access_logs_retention_days" {
  description = "Days the access logs are kept in their bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.access_logs_retention_days >= 1 && floor(var.access_logs_retention_days) == var.access_logs_retention_days
    error_message = "access_logs_retention_days must be a positive integer."
  }
}

variable "force_destroy_access_logs" {
  description = "Allow destroying the access-log bucket with logs in it (non-production only)."
  type        = bool
  default     = false
}

variable "waf" {
  description = "A WAFv2 web ACL for the load balancer: `rate_limit_per_5_minutes`, the requests one client IP may send in 5 minutes before it is blocked (100-2,000,000,000), then AWS's IP reputation, known bad inputs and common rule groups. null (default): no web ACL (local, dev)."
  type = object({
    rate_limit_per_5_minutes = number
  })
  default = null

  validation {
    condition     = var.waf == null || try(var.waf.rate_limit_per_5_minutes >= 100 && var.waf.rate_limit_per_5_minutes <= 2000000000 && floor(var.waf.rate_limit_per_5_minutes) == var.waf.rate_limit_per_5_minutes, false)
    error_message = "waf.rate_limit_per_5_minutes must be an integer between 100 and 2000000000."
  }
}

variable "target_port" {
  description = "Port of the targets (the frontend container)."
  type        = number
  default     = 5000

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "target_port must be between 1 and 65535."
  }
}

variable "health_check_path" {
  description = "HTTP path of the target group health check."
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with '/'."
  }
}

variable "idle_timeout" {
  description = "Idle timeout of client connections, in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000."
  }
}

variable "tags" {
  description = "Tags for every resource (the provider's default tags add the rest)."
  type        = map(string)
  default     = {}
}
