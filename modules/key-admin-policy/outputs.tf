output "json" {
  description = "The policy document (one statement, Sid AccountAdministersTheKey) as JSON."
  value       = data.aws_iam_policy_document.this.json
}
