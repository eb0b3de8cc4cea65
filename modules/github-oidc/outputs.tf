output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "plan_role_arn" {
  description = "ARN of the plan role (metadata and state reads, no data or secrets): the plan workflow's role-to-assume."
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

output "deploy_workflow_refs" {
  description = "The `job_workflow_ref` claims the deploy role trusts."
  value       = local.deploy_workflow_refs
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary every role the deploy role creates must carry (the modules' `permissions_boundary` of their roles)."
  value       = aws_iam_policy.boundary.arn
}
