output "cluster_name" {
  description = "Name of the ECS cluster (\"<name>-cluster\")."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "frontend_service_name" {
  description = "Name of the frontend ECS service (frontend-service)."
  value       = aws_ecs_service.frontend.name
}

output "worker_service_name" {
  description = "Name of the worker ECS service (queue-worker-service)."
  value       = aws_ecs_service.worker.name
}

output "frontend_security_group_id" {
  description = "Security group of the frontend tasks (ingress from the ALB security group on 5000 only)."
  value       = aws_security_group.frontend.id
}

output "worker_security_group_id" {
  description = "Security group of the worker tasks (no ingress)."
  value       = aws_security_group.worker.id
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role shared by both services (image pull, log writes)."
  value       = aws_iam_role.execution.arn
}

output "frontend_task_role_arn" {
  description = "ARN of the frontend's task role (ssm:GetParameter on the token, sqs:SendMessage on the queue)."
  value       = aws_iam_role.frontend_task.arn
}

output "worker_task_role_arn" {
  description = "ARN of the worker's task role (consume the queue, s3:PutObject under data_prefix)."
  value       = aws_iam_role.worker_task.arn
}

output "frontend_log_group_name" {
  description = "CloudWatch log group of the frontend (\"/ecs/<name>/frontend-service\")."
  value       = aws_cloudwatch_log_group.frontend.name
}

output "worker_log_group_name" {
  description = "CloudWatch log group of the worker (\"/ecs/<name>/queue-worker-service\")."
  value       = aws_cloudwatch_log_group.worker.name
}

output "token_parameter_name" {
  description = "Name of the token SecureString parameter (the value itself is never output nor stored in state)."
  value       = aws_ssm_parameter.token.name
}

output "token_parameter_arn" {
  description = "ARN of the token SecureString parameter."
  value       = aws_ssm_parameter.token.arn
}
