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
  description = "Name of the token SecureString parameter (the value itself is never output nor stored in state)."
  value       = aws_ssm_parameter.token.name
}

output "token_parameter_arn" {
  description = "ARN of the token SecureString parameter."
  value       = aws_ssm_parameter.token.arn
}
