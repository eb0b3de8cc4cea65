terraform {
  # The toolchain's floor; this module itself needs 1.9 (validations that refer to other
  # variables).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
