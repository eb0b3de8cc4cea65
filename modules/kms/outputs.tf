output "key_arns" {
  description = "Key name => ARN of its customer-managed key."
  value       = { for name, key in aws_kms_key.this : name => key.arn }
}

output "alias_arns" {
  description = "Key name => ARN of its alias (alias/<name>-<key>)."
  value       = { for name, alias in aws_kms_alias.this : name => alias.arn }
}

output "key_policies" {
  description = "Key name => its key policy (JSON)."
  value       = { for name, key in aws_kms_key.this : name => key.policy }
}
