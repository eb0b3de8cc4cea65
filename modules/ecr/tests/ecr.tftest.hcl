run "default_repositories" {
  command = apply

  variables {
    force_delete    = true
    max_image_count = 10
  }

  assert {
    condition     = keys(output.repository_urls) == ["frontend-service", "sqs-puller-service"] && keys(output.repository_arns) == ["frontend-service", "sqs-puller-service"]
    error_message = "the two repositories of the original design"
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "IMMUTABLE" && one(r.image_scanning_configuration).scan_on_push])
    error_message = "immutable tags and scan on push"
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : one(r.encryption_configuration).encryption_type == "AES256"])
    error_message = "images are encrypted (AES256 by default)"
  }

  assert {
    condition     = alltrue([for p in aws_ecr_lifecycle_policy.this : jsondecode(p.policy).rules[0].selection.countNumber == 10 && jsondecode(p.policy).rules[0].action.type == "expire"])
    error_message = "the lifecycle policy keeps max_image_count images"
  }

  assert {
    condition     = endswith(output.repository_urls["frontend-service"], "/frontend-service")
    error_message = "repository URLs end with the repository name"
  }
}

run "kms_encryption" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : one(r.encryption_configuration).encryption_type == "KMS" && one(r.encryption_configuration).kms_key == var.kms_key_arn])
    error_message = "KMS encryption with the given key"
  }
}
