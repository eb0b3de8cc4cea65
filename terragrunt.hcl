# Root configuration of every unit under live/<env>/<unit>. Units include it by an explicit
# path built from get_repo_root(), not find_in_parent_folders(), which would resolve to a file
# named terragrunt.hcl and make Terragrunt warn about the root-file anti-pattern.
#
# It generates backend.tf (S3, one state bucket per account and region, lock files instead of
# DynamoDB) and provider.tf, and passes the inputs every module takes. What it knows about the
# environment comes from live/_common/context.hcl (account.hcl + env.hcl of the unit's env).

locals {
  context  = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
  endpoint = local.context.emulator_endpoint

  emulated_provider_settings = <<-EOT
    # Emulator mode: credentials are the dummy ones from the environment, every call goes to
    # the emulator (AWS_ENDPOINT_URL, set below).
    s3_use_path_style           = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    # An API the emulator lacks fails in seconds instead of retrying for minutes.
    max_retries = 3
  EOT

  # The S3 backend (Terraform's and Terragrunt's bootstrap client) in the emulator.
  emulated_backend = {
    endpoints                   = { s3 = local.endpoint }
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    # The emulator serves plain HTTP: a deny-unless-TLS bucket policy would lock the state out.
    skip_bucket_enforced_tls               = true
    skip_accesslogging_bucket_enforced_tls = true
  }
}

remote_state {
  backend = "s3"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = merge(
    {
      bucket       = local.context.state_bucket
      key          = "${path_relative_to_include()}/terraform.tfstate"
      region       = local.context.region
      encrypt      = true
      use_lockfile = true

      # Read only by `terragrunt backend bootstrap` / --backend-bootstrap, which creates the
      # bucket versioned, encrypted, public access blocked, TLS-only and access-logged.
      s3_bucket_tags            = local.context.default_tags
      accesslogging_bucket_name = local.context.state_logs_bucket
      accesslogging_bucket_tags = local.context.default_tags
    },
    # Outside the emulator every state object is encrypted with the account's state key; in
    # it, the emulator settings (a `cond ? {...} : {}` would not type-check, hence the lists).
    concat(
      [for key in [local.context.state_kms_key_arn] : { kms_key_id = key } if key != null && !local.context.emulated],
      [for settings in [local.emulated_backend] : settings if local.context.emulated],
    )...
  )
}

# In emulator mode every AWS call of Terraform's provider goes to the emulator through the
# SDK's global endpoint variable, whatever the service, rather than through an `endpoints`
# block: validating that block costs the provider ~2 CPU-s at each start (a plan starts it
# three times). Terraform's own S3 backend takes its endpoint from remote_state.
terraform {
  extra_arguments "emulator_endpoint" {
    commands = local.context.emulated ? get_terraform_commands_that_need_vars() : []
    env_vars = local.context.emulated ? { AWS_ENDPOINT_URL = local.endpoint } : {}
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-EOF
    provider "aws" {
      region              = "${local.context.region}"
      allowed_account_ids = ["${local.context.account_id}"]

      default_tags {
        tags = ${jsonencode(local.context.default_tags)}
      }
    ${local.context.emulated ? local.emulated_provider_settings : ""}
    }
  EOF
}

# The repository's one provider lock file (hashes for every supported platform), written into
# each unit's working directory so every init verifies hashicorp/aws against it.
generate "provider_lock" {
  path              = ".terraform.lock.hcl"
  if_exists         = "overwrite"
  disable_signature = true
  contents          = file("${get_repo_root()}/.terraform.lock.hcl")
}

inputs = {
  tags = {
    Component = basename(get_terragrunt_dir())
  }
}
