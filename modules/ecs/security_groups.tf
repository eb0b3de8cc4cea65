# Tasks get one inbound path (ALB -> frontend container port) and one outbound port, HTTPS:
# every call the services make (SQS, SSM, S3, ECR image pulls, CloudWatch Logs) is HTTPS.
# DNS needs no rule: security groups do not filter traffic to the VPC's Amazon DNS resolver.
locals {
  egress_rules = merge(
    { for cidr in var.egress_cidr_blocks : "cidr-${cidr}" => { cidr_ipv4 = cidr, prefix_list_id = null } },
    { for id in var.egress_prefix_list_ids : "pl-${id}" => { cidr_ipv4 = null, prefix_list_id = id } },
  )

  service_security_groups = {
    frontend = aws_security_group.frontend.id
    worker   = aws_security_group.worker.id
  }

  service_egress_rules = merge([
    for service, sg_id in local.service_security_groups : {
      for key, rule in local.egress_rules : "${service}-${key}" => merge(rule, { security_group_id = sg_id })
    }
  ]...)
}

resource "aws_security_group" "frontend" {
  name        = "${var.name}-${local.frontend_name}"
  description = "Frontend tasks: ingress from the ALB on the container port only, egress HTTPS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-${local.frontend_name}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-${local.worker_name}"
  description = "Worker tasks: no ingress (health check runs inside the task), egress HTTPS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-${local.worker_name}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "frontend_from_alb" {
  security_group_id            = aws_security_group.frontend.id
  description                  = "ALB to the frontend container port"
  ip_protocol                  = "tcp"
  from_port                    = local.frontend_port
  to_port                      = local.frontend_port
  referenced_security_group_id = var.alb_security_group_id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.service_egress_rules

  security_group_id = each.value.security_group_id
  description       = "HTTPS to AWS APIs, ECR and S3 (VPC endpoints or NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value.cidr_ipv4
  prefix_list_id    = each.value.prefix_list_id

  tags = var.tags
}
