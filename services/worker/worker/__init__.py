"""Worker service: moves messages from SQS to S3, at least once, never losing one."""
