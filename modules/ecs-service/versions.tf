terraform {
  # 1.11: write-only arguments (value_wo) fed from ephemeral resources; 1.9: validations that
  # refer to other variables.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100 ships aws_ssm_parameter.value_wo and the aws_secretsmanager_random_password
      # ephemeral resource.
      version = ">= 5.100, < 6.0"
    }
  }
}
