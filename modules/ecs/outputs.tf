output "cluster_name" {
  description = "Name of the ECS cluster (\"<name>-cluster\")."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "services" {
  description = "Per service key, every output of its modules/ecs-service instance: service_name, task_definition_family, task_definition_arn, container_definitions, task_role_arn, task_role_policy, execution_role_policy, security_group_id, log_group_name, autoscaling_policy_names, container."
  value       = module.service
}

output "containers" {
  description = "Per service key, the container as the application sees it: name, port, environment (name => value) and secrets (the names of the variables ECS fills from secrets). The local twin and the docs read these instead of repeating them."
  value       = { for key, service in module.service : key => service.container }
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role shared by the services (image pulls, log writes, container secrets)."
  value       = aws_iam_role.execution.arn
}

output "token_parameter_name" {
  description = "Name of the token SecureString parameter. This module does not create it (make token does) and never reads it."
  value       = var.token_parameter_name
}

output "token_parameter_arn" {
  description = "ARN of the token parameter, built from its name (the read-token services may GetParameter it)."
  value       = local.token_parameter_arn
}

output "token_kms_key_arn" {
  description = "ARN of the token's customer-managed KMS key: make token encrypts the parameter with it."
  value       = aws_kms_key.token.arn
}

output "token_kms_key_alias" {
  description = "Alias of the token key (\"alias/<name>-token\")."
  value       = aws_kms_alias.token.name
}
