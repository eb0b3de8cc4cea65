# The API token: Terraform manages who may read it, never its value. The SecureString itself
# is created and rotated by `make token` / `make rotate-token` (devstack/token.py) with this
# environment's token key, so no plan or refresh of this module reads the parameter: a refresh
# of an aws_ssm_parameter calls GetParameter with decryption, which the CI plan role is
# denied (modules/github-oidc), and the value would pass through Terraform.
#
# Here: the token's customer-managed key (its policy names every principal that may use it),
# and the parameter's name and ARN, built from the name instead of read.
locals {
  token_readers       = { for key, service in var.services : key => service.service_name if contains(service.access, "read-token") }
  token_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${var.token_parameter_name}"
  # SSM encrypts and decrypts a SecureString with this encryption context: a grant with it
  # covers the token parameter only, not another parameter under the same key.
  token_encryption_context = { test = "StringEquals", variable = "kms:EncryptionContext:PARAMETER_ARN", values = [local.token_parameter_arn] }
  via_ssm                  = { test = "StringEquals", variable = "kms:ViaService", values = ["ssm.${local.region}.amazonaws.com"] }
  token_key_users = {
    ReadersDecryptTheTokenThroughSsm = {
      actions    = ["kms:Decrypt"]
      principals = [for service in values(local.token_readers) : "arn:${local.partition}:iam::${local.account_id}:role/${var.name}-${service}-task"]
    }
    OperatorsWriteTheTokenThroughSsm = { actions = ["kms:Decrypt", "kms:Encrypt"], principals = var.token_operator_arns }
  }
}

# Earlier versions created the parameter here. Forget it without deleting it: the running
# frontend keeps reading it, and `make token` re-encrypts it with the token key.
removed {
  from = aws_ssm_parameter.token

  lifecycle {
    destroy = false
  }
}

module "key_administration" {
  source = "../key-admin-policy"

  account_id = local.account_id
  partition  = local.partition
}

data "aws_iam_policy_document" "token_key" {
  source_policy_documents = [module.key_administration.json]

  # Who may use the key, each through SSM and for the token parameter only. Principals are
  # matched by aws:PrincipalArn (the root principal delegates to their IAM policies, which must
  # allow the same call): a role the key names need not exist before the key (the task roles
  # are created with the services), and a recreated role keeps its access.
  # - the task roles of the read-token services: decrypt;
  # - the people who create and rotate the token (devstack/token.py): encrypt, and decrypt to
  #   keep the previous token during a rotation. SSO roles, whose names end in a random
  #   suffix, can be named by pattern.
  dynamic "statement" {
    for_each = { for sid, use in local.token_key_users : sid => use if length(use.principals) > 0 }
    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = statement.value.principals
      }

      dynamic "condition" {
        for_each = [local.via_ssm, local.token_encryption_context]
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_kms_key" "token" {
  description             = "${var.name} API token (SSM parameter ${var.token_parameter_name})"
  enable_key_rotation     = true
  deletion_window_in_days = var.token_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.token_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "token" {
  name          = "alias/${var.name}-token"
  target_key_id = aws_kms_key.token.key_id
}
