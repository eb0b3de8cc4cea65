output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch metric dimension)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer (for alias records)."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "ARN of the ip target group of the frontend service."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch metric dimension)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "security_group_id" {
  description = "ID of the load balancer's security group (source of the frontend's ingress rule)."
  value       = aws_security_group.this.id
}

output "http_listener_arn" {
  description = "ARN of the HTTP listener (forwards, or redirects to HTTPS when a certificate is given)."
  value       = aws_lb_listener.http.arn
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener; null without a certificate."
  value       = one(aws_lb_listener.https[*].arn)
}

output "access_logs_bucket_name" {
  description = "Name of the access-log bucket."
  value       = module.access_logs.bucket_name
}

output "access_logs_bucket_policy" {
  description = "Policy of the access-log bucket (JSON): TLS only, ELB log delivery under this load balancer's prefix."
  value       = module.access_logs.bucket_policy
}

output "certificate_arn" {
  description = "ARN of the HTTPS listener's certificate (issued: after DNS validation when the module requested it); null without HTTPS."
  value       = local.https ? local.certificate_arn : null
}

output "web_acl_arn" {
  description = "ARN of the load balancer's WAFv2 web ACL; null without one."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}
