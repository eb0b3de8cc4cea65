# Reads back from the emulator what the ecs module created, independently of the module's own
# state: the security group rules as AWS holds them, the token key behind its alias, and
# that the module wrote no token parameter. This run's state lives in memory and is
# discarded after the test.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "token_parameter_name" {
  description = "The token parameter the ecs module names (and must not create)."
  type        = string
}

variable "token_kms_key_alias" {
  description = "The alias of the token key the ecs module created."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups to read the rules of, by service."
  type        = map(string)
}

variable "task_role_name" {
  description = "A task role to read the trust policy of."
  type        = string
}

data "aws_iam_role" "task" {
  name = var.task_role_name
}

data "aws_ssm_parameters_by_path" "token_path" {
  path            = regex("^(.*)/[^/]+$", var.token_parameter_name)[0]
  with_decryption = false
}

data "aws_kms_key" "token" {
  key_id = var.token_kms_key_alias
}

data "aws_vpc_security_group_rules" "service" {
  for_each = var.security_group_ids

  filter {
    name   = "group-id"
    values = [each.value]
  }
}

data "aws_vpc_security_group_rule" "service" {
  for_each = toset(flatten([for rules in data.aws_vpc_security_group_rules.service : rules.ids]))

  security_group_rule_id = each.value
}

output "token_parameters" {
  description = "Parameters under the token parameter's path (names only)."
  value       = data.aws_ssm_parameters_by_path.token_path.names
}

output "token_key" {
  description = "The key behind the token alias: arn, key_manager, key_state, key_usage."
  value = {
    arn         = data.aws_kms_key.token.arn
    key_manager = data.aws_kms_key.token.key_manager
    key_state   = data.aws_kms_key.token.key_state
    key_usage   = data.aws_kms_key.token.key_usage
  }
}

output "rules" {
  description = "Rules by service: is_egress, ip_protocol, from_port, to_port, cidr_ipv4, referenced_security_group_id."
  value = {
    for service, rules in data.aws_vpc_security_group_rules.service : service => [
      for id in rules.ids : {
        is_egress                    = data.aws_vpc_security_group_rule.service[id].is_egress
        ip_protocol                  = data.aws_vpc_security_group_rule.service[id].ip_protocol
        from_port                    = data.aws_vpc_security_group_rule.service[id].from_port
        to_port                      = data.aws_vpc_security_group_rule.service[id].to_port
        cidr_ipv4                    = data.aws_vpc_security_group_rule.service[id].cidr_ipv4
        referenced_security_group_id = data.aws_vpc_security_group_rule.service[id].referenced_security_group_id
      }
    ]
  }
}

output "task_role_assume_policy" {
  value = data.aws_iam_role.task.assume_role_policy
}
