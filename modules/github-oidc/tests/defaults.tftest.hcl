# Plan-only: the defaults attach AWS-managed policies, which the emulator does not have.

variables {
  name               = "devops-test"
  github_repository  = "acme/ingest-pipeline"
  github_environment = "dev"
  state_bucket_name  = "acme-terraform-state"
}

run "managed_policy_defaults" {
  command = plan

  assert {
    condition     = toset([for a in aws_iam_role_policy_attachment.plan : a.policy_arn]) == toset(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    error_message = "the plan role is read-only by default"
  }

  assert {
    condition     = toset([for a in aws_iam_role_policy_attachment.deploy : a.policy_arn]) == toset(["arn:aws:iam::aws:policy/PowerUserAccess"])
    error_message = "the deploy role gets PowerUserAccess (no IAM) plus the scoped IAM statements"
  }

  assert {
    condition     = !var.deploy_from_main_branch && length(local.deploy_subjects) == 1
    error_message = "by default only the GitHub environment may deploy, never a bare branch"
  }
}
