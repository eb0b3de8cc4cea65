terraform {
  # The toolchain's floor (modules/ecs-service requires it too); this module itself needs 1.9
  # (validations that refer to other variables) and 1.7 (`removed` blocks, token.tf).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
