variables {
  name                = "vpc-test"
  cidr_block          = "10.20.0.0/16"
  az_count            = 3
  interface_endpoints = ["sqs", "ssm", "ecr.api", "ecr.dkr", "logs"]
}

run "three_zones_nat_per_zone_endpoints_flow_logs" {
  command = apply

  assert {
    condition     = length(output.public_subnet_ids) == 3 && length(output.private_subnet_ids) == 3 && length(distinct(output.availability_zones)) == 3
    error_message = "one public and one private subnet in each of three zones"
  }

  assert {
    condition     = alltrue([for s in concat(aws_subnet.public, aws_subnet.private) : !s.map_public_ip_on_launch])
    error_message = "no subnet assigns public IPs"
  }

  assert {
    condition     = length(output.nat_gateway_ids) == 3 && length(distinct([for r in aws_route.private_nat : r.nat_gateway_id])) == 3
    error_message = "each zone routes through its own NAT gateway"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group has no rules"
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination == aws_cloudwatch_log_group.flow_logs.arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "all traffic is logged to the flow log group, kept for a year by default"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.flow_logs.policy).Statement[0].Resource == "${aws_cloudwatch_log_group.flow_logs.arn}:*"
    error_message = "the flow log role may write only to its log group"
  }

  assert {
    condition     = toset(aws_vpc_endpoint.s3[0].route_table_ids) == toset(output.private_route_table_ids)
    error_message = "the S3 gateway endpoint serves every private route table"
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && toset(e.subnet_ids) == toset(output.private_subnet_ids)]) && length(aws_vpc_endpoint.interface) == 5
    error_message = "interface endpoints with private DNS in the private subnets"
  }

  assert {
    condition = (
      alltrue([for e in aws_vpc_endpoint.interface : jsondecode(e.policy).Statement[0].Condition.StringEquals["aws:PrincipalAccount"] == data.aws_caller_identity.current.account_id]) &&
      jsondecode(aws_vpc_endpoint.s3[0].policy).Statement[0].Condition.StringEquals == { "aws:PrincipalAccount" = data.aws_caller_identity.current.account_id, "aws:ResourceAccount" = data.aws_caller_identity.current.account_id } &&
      jsondecode(aws_vpc_endpoint.s3[0].policy).Statement[1].Resource == "arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*" &&
      startswith(output.s3_prefix_list_id, "pl-")
    )
    error_message = "every endpoint admits this account's principals only; through S3 only to this account's buckets (and ECR's layer bucket); the S3 prefix list is an output"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https[0].cidr_ipv4 == "10.20.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443
    error_message = "endpoints accept HTTPS from the VPC only"
  }
}

run "single_nat_gateway" {
  command = plan

  variables {
    az_count            = 2
    single_nat_gateway  = true
    interface_endpoints = []
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2 && length(aws_vpc_endpoint.interface) == 0 && length(aws_security_group.endpoints) == 0
    error_message = "one shared NAT gateway, and no endpoint security group without interface endpoints"
  }
}
