output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "plan_role_arn" {
  description = "ARN of the read-only role for pull-request plans: the plan workflow's role-to-assume."
  value       = aws_iam_role.plan.arn
}

output "plan_role_name" {
  description = "Name of the plan role."
  value       = aws_iam_role.plan.name
}

output "deploy_role_arn" {
  description = "ARN of the deploy role for jobs of the GitHub environment: the deploy workflow's role-to-assume."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "plan_subjects" {
  description = "The `sub` claims the plan role trusts."
  value       = local.plan_subjects
}

output "deploy_subjects" {
  description = "The `sub` claims the deploy role trusts."
  value       = local.deploy_subjects
}
