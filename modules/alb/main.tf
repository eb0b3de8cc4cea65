data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_elb_service_account" "current" {}

locals {
  https = var.certificate != null || var.certificate_arn != null
  # The listener takes the ARN from the validation resource, so it waits until ACM has issued.
  certificate_arn   = var.certificate != null ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn
  access_logs_name  = "${lower(var.name)}-alb-logs-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.name}"
  access_logs_arn   = "arn:${data.aws_partition.current.partition}:s3:::${local.access_logs_name}"
  access_log_prefix = "alb"
  # Where ELB writes: <prefix>/AWSLogs/<account>/...
  access_logs_objects_arn = "${local.access_logs_arn}/${local.access_log_prefix}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
}

# --- security group: the world on the listener ports, out only to the targets ----------------

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-alb-"
  description = "Load balancer ${var.name}: HTTP(S) from the internet, to the targets only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:This is the internet-facing load balancer; its HTTP listener (forward, or redirect to HTTPS) must be reachable from anywhere.
  security_group_id = aws_security_group.this.id
  description       = "Clients over HTTP"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  count = local.https ? 1 : 0

  security_group_id = aws_security_group.this.id
  description       = "Clients over HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.this.id
  description       = "Targets and their health checks inside the VPC"
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
  cidr_ipv4         = var.vpc_cidr_block
  tags              = var.tags
}

# --- load balancer ------------------------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:Deletion protection is the deletion_protection variable (default true); env.hcl enables it in prod and turns it off where environments are torn down (local, dev, staging).
  #checkov:skip=CKV2_AWS_28:The web ACL is the waf variable: on in staging and prod (env.hcl), off in local and dev, which serve no production traffic.
  #checkov:skip=CKV2_AWS_76:Same switch; the module's web ACL includes the known-bad-inputs rule group (Log4j) whenever it exists.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.this.id]
  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection

  access_logs {
    enabled = true
    # ELB checks that it may write to the bucket (its policy) when access logs are enabled:
    # this name is known only once the policy exists.
    bucket = module.access_logs.configured_bucket_name
    prefix = local.access_log_prefix
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the load balancer; the Fargate targets sit in private subnets and have no certificates.
  name                 = "${var.name}-tg"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.target_port
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Port 80 only redirects to HTTPS when a certificate is given; without one (no domain yet) plain HTTP is the only option.
  #checkov:skip=CKV_AWS_103:TLS policy is set on the HTTPS listener; this HTTP listener has none by definition.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

# --- certificate: ACM, validated through DNS records in the environment's hosted zone ------------

resource "aws_acm_certificate" "this" {
  count = var.certificate == null ? 0 : 1

  domain_name       = var.certificate.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = merge(var.tags, { Name = var.certificate.domain_name })

  # A replaced certificate must be issued before the listener lets go of the old one.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "certificate_validation" {
  # Keys are the domain names, known at plan time (the record values are not).
  for_each = {
    for option in flatten(aws_acm_certificate.this[*].domain_validation_options) : option.domain_name => option
  }

  zone_id         = var.certificate.route53_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = var.certificate == null ? 0 : 1

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for record in aws_route53_record.certificate_validation : record.fqdn]
}

# --- WAF: a rate limit per client IP, then AWS's managed rule groups -----------------------------

locals {
  # Evaluated in this order after the rate limit; the first three AWS offers without charge
  # beyond the rule group fee.
  waf_managed_rule_groups = ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"]
}

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV2_AWS_31:Request logging is not enabled: CloudWatch metrics per rule and sampled requests are; full WAF logs (aws-waf-logs-* with its own key and retention) are a cost decision per environment.
  count = var.waf == null ? 0 : 1

  name        = "${var.name}-alb"
  description = "Load balancer ${var.name}: rate limit per IP, IP reputation, known bad inputs, common rules"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf.rate_limit_per_5_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.waf_managed_rule_groups

    content {
      name     = rule.value
      priority = rule.key + 1

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value

          # The common rule set blocks bodies over 8 KB; the frontend takes messages up to
          # SQS's 256 KB and answers an oversized body itself (413, JSON), so that rule counts.
          dynamic "rule_action_override" {
            for_each = rule.value == "AWSManagedRulesCommonRuleSet" ? ["SizeRestrictions_BODY"] : []

            content {
              name = rule_action_override.value

              action_to_use {
                count {}
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.value}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-alb"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf == null ? 0 : 1

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# --- access-log bucket (ELB log delivery supports SSE-S3 only, not SSE-KMS) ---------------------

module "access_logs" {
  source = "../s3"

  bucket_name   = local.access_logs_name
  force_destroy = var.force_destroy_access_logs
  # SSE-S3 (no kms_key_arn) and no access logging of its own: the bucket is the log destination.
  expiration_days                        = var.access_logs_retention_days
  noncurrent_version_expiration_days     = 1
  abort_incomplete_multipart_upload_days = 1
  policy_documents                       = [data.aws_iam_policy_document.log_delivery.json]
  tags                                   = var.tags
}

data "aws_iam_policy_document" "log_delivery" {
  # The regional ELB account (older regions such as eu-central-1) and the log delivery service
  # principal (newer regions) write the logs; only under this load balancer's prefix.
  statement {
    sid       = "ElbLogDelivery"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects_arn]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "LogDeliveryService"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects_arn]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }
}

# The bucket was built here before modules/s3 provided it: existing state follows.
moved {
  from = aws_s3_bucket.access_logs
  to   = module.access_logs.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs
  to   = module.access_logs.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs
  to   = module.access_logs.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs
  to   = module.access_logs.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs
  to   = module.access_logs.aws_s3_bucket_policy.this
}
