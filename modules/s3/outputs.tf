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
