# Tasks get at most one inbound path (load balancer -> container port) and one outbound port,
# HTTPS: every call the services make (SQS, SSM, S3, ECR image pulls, CloudWatch Logs) is HTTPS.
# DNS needs no rule: security groups do not filter traffic to the VPC's Amazon DNS resolver.
locals {
  egress_rules = merge(
    { for cidr in var.egress_cidr_blocks : "cidr-${cidr}" => { cidr_ipv4 = cidr, prefix_list_id = null } },
    { for id in var.egress_prefix_list_ids : "pl-${id}" => { cidr_ipv4 = null, prefix_list_id = id } },
  )
}

resource "aws_security_group" "this" {
  name        = "${var.name}-${var.service_name}"
  description = "${var.title} tasks: ${local.load_balanced ? "ingress from the ALB on the container port only" : "no ingress (health check runs inside the task)"}, egress HTTPS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-${var.service_name}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  count = local.load_balanced ? 1 : 0

  security_group_id            = aws_security_group.this.id
  description                  = "ALB to the ${lower(var.title)} container port"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = var.load_balancer.security_group_id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.egress_rules

  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs, ECR and S3 (VPC endpoints or NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value.cidr_ipv4
  prefix_list_id    = each.value.prefix_list_id

  tags = var.tags
}
