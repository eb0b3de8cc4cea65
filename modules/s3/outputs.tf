output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_policy" {
  description = "The bucket policy (JSON): DenyInsecureTransport, then the statements of policy_documents."
  value       = aws_s3_bucket_policy.this.policy
}

output "configured_bucket_name" {
  description = "Name of the bucket, known once its policy, default encryption and ownership controls exist. Reference it from a service that checks those when it is created (ELB access logs) instead of depending on the whole module, which also waits out the provider's lifecycle-consistency check (~55 s)."
  value       = aws_s3_bucket.this.id

  depends_on = [
    aws_s3_bucket_policy.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_ownership_controls.this,
  ]
}
