output "cluster_name" {
  description = "Name of the ECS cluster (\"<name>-cluster\")."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "services" {
  description = "Per service key: service_name, task_definition_family, task_role_arn, security_group_id, log_group_name."
  value = {
    for key, service in module.service : key => {
      service_name           = service.service_name
      task_definition_family = service.task_definition_family
      task_role_arn          = service.task_role_arn
      security_group_id      = service.security_group_id
      log_group_name         = service.log_group_name
    }
  }
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
