output "service_name" {
  description = "Name of the ECS service (also its container's name)."
  value       = aws_ecs_service.this.name
}

output "container" {
  description = "The container as the application sees it: name, port, environment (name => value, AWS_REGION and PORT included) and the names of the variables filled from secrets (never their values)."
  value = {
    name        = var.service_name
    port        = var.port
    environment = local.environment
    secrets     = sort(keys(var.secrets))
  }
}

output "task_definition_family" {
  description = "Family of the task definition (\"<name>-<service_name>\"); every change makes a new revision of it."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the current task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "task_role_policy" {
  description = "The task role's inline policy (JSON)."
  value       = aws_iam_role_policy.task.policy
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "CloudWatch log group of the service (\"/ecs/<name>/<service_name>\")."
  value       = aws_cloudwatch_log_group.this.name
}

output "execution_role_policy" {
  description = "This service's inline policy on the execution role (JSON)."
  value       = aws_iam_role_policy.execution.policy
}

output "container_definitions" {
  description = "The task definition's container definitions (JSON), as registered."
  value       = aws_ecs_task_definition.this.container_definitions
}

output "autoscaling_policy_names" {
  description = "Names of the target-tracking policies, by signal (cpu, requests, backlog); empty without autoscaling."
  value       = { for signal, policy in aws_appautoscaling_policy.this : signal => policy.name }
}
