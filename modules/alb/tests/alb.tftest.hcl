run "network" {
  command = apply

  module {
    source = "./tests/network"
  }
}

run "http_only" {
  command = apply

  variables {
    name                      = "alb-test"
    vpc_id                    = run.network.vpc_id
    vpc_cidr_block            = run.network.vpc_cidr_block
    public_subnet_ids         = run.network.subnet_ids
    deletion_protection       = false
    force_destroy_access_logs = true
  }

  assert {
    condition     = !aws_lb.this.internal && aws_lb.this.drop_invalid_header_fields && aws_lb.this.load_balancer_type == "application" && aws_lb.this.desync_mitigation_mode == "strictest"
    error_message = "an internet-facing ALB that drops invalid header fields and refuses ambiguous requests (desync mitigation strictest)"
  }

  assert {
    condition     = one(aws_lb.this.access_logs).enabled && one(aws_lb.this.access_logs).bucket == output.access_logs_bucket_name
    error_message = "access logs go to the module's bucket"
  }

  assert {
    condition = (aws_lb_target_group.this.target_type == "ip" && aws_lb_target_group.this.port == 5000 &&
    one(aws_lb_target_group.this.health_check).path == "/" && one(aws_lb_target_group.this.health_check).matcher == "200")
    error_message = "an ip target group on 5000 with a health check on /"
  }

  assert {
    condition     = one(aws_lb_listener.http.default_action).type == "forward" && output.https_listener_arn == null
    error_message = "without a certificate, port 80 forwards and there is no HTTPS listener"
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this) == 0 && length(aws_wafv2_web_acl_association.this) == 0 && output.web_acl_arn == null
    error_message = "no web ACL unless waf is set"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.http.from_port == 80 && aws_vpc_security_group_ingress_rule.http.cidr_ipv4 == "0.0.0.0/0" && length(aws_vpc_security_group_ingress_rule.https) == 0
    error_message = "only port 80 is open without a certificate"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.targets.cidr_ipv4 == "10.42.0.0/16" && aws_vpc_security_group_egress_rule.targets.from_port == 5000 && aws_vpc_security_group_egress_rule.targets.to_port == 5000
    error_message = "egress only to the targets' port inside the VPC"
  }

  assert {
    condition     = output.access_logs_bucket_name == "alb-test-alb-logs-${data.aws_caller_identity.current.account_id}-eu-central-1"
    error_message = "the access-log bucket (modules/s3: SSE-S3, versioned, not public) is named after the ALB, account and region"
  }

  assert {
    condition = (
      one([for s in jsondecode(output.access_logs_bucket_policy).Statement : s if s.Sid == "ElbLogDelivery"]).Principal.AWS == data.aws_elb_service_account.current.arn &&
      endswith(one([for s in jsondecode(output.access_logs_bucket_policy).Statement : s if s.Sid == "ElbLogDelivery"]).Resource, "/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*") &&
      one([for s in jsondecode(output.access_logs_bucket_policy).Statement : s if s.Sid == "DenyInsecureTransport"]).Effect == "Deny"
    )
    error_message = "ELB log delivery may write only under this ALB's prefix, and non-TLS access is denied"
  }
}

run "https_with_redirect_and_waf" {
  command = plan

  variables {
    name              = "alb-test-tls"
    vpc_id            = run.network.vpc_id
    vpc_cidr_block    = run.network.vpc_cidr_block
    public_subnet_ids = run.network.subnet_ids
    certificate       = { domain_name = "ingest.example.com", route53_zone_id = "Z0123456789EXAMPLE" }
    waf               = { rate_limit_per_5_minutes = 500 }
  }

  assert {
    condition = (
      aws_acm_certificate.this[0].domain_name == "ingest.example.com" && aws_acm_certificate.this[0].validation_method == "DNS" &&
      keys(aws_route53_record.certificate_validation) == ["ingest.example.com"] &&
      aws_route53_record.certificate_validation["ingest.example.com"].zone_id == "Z0123456789EXAMPLE" &&
      length(aws_acm_certificate_validation.this) == 1
    )
    error_message = "an ACM certificate for the domain, validated by a DNS record in the given zone"
  }

  assert {
    condition     = one(aws_lb_listener.http.default_action).type == "redirect" && one(one(aws_lb_listener.http.default_action).redirect).protocol == "HTTPS"
    error_message = "HTTP redirects to HTTPS when a certificate is given"
  }

  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" && aws_lb_listener.https[0].protocol == "HTTPS"
    error_message = "the HTTPS listener uses a TLS 1.2+ policy"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.https) == 1 && aws_vpc_security_group_ingress_rule.https[0].from_port == 443
    error_message = "80 and 443 are open with a certificate"
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 1 && aws_lb.this.enable_deletion_protection
    error_message = "the web ACL is associated, and deletion protection is on by default"
  }

  assert {
    condition = (
      aws_wafv2_web_acl.this[0].scope == "REGIONAL" && length(one(aws_wafv2_web_acl.this[0].default_action).allow) == 1 &&
      one([for r in aws_wafv2_web_acl.this[0].rule : r if r.priority == 0]).name == "rate-limit-per-ip" &&
      one(one(one([for r in aws_wafv2_web_acl.this[0].rule : r if r.priority == 0]).statement).rate_based_statement).limit == 500 &&
      one(one(one([for r in aws_wafv2_web_acl.this[0].rule : r if r.priority == 0]).statement).rate_based_statement).aggregate_key_type == "IP" &&
      toset([for r in aws_wafv2_web_acl.this[0].rule : r.name if r.priority > 0]) == toset(["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"]) &&
      alltrue([for r in aws_wafv2_web_acl.this[0].rule : one(r.visibility_config).cloudwatch_metrics_enabled]) &&
      one(aws_wafv2_web_acl.this[0].visibility_config).cloudwatch_metrics_enabled
    )
    error_message = "a regional web ACL: the rate limit per IP first, then the IP reputation, known bad inputs and common rule groups, metrics on every rule"
  }
}
