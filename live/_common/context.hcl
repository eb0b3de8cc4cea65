# Everything a unit needs to know about where it deploys, resolved once for the unit being
# evaluated. Read (read_terragrunt_config) by the root terragrunt.hcl and by every component
# file in this directory; get_original_terragrunt_dir() is the unit's directory, so
# "../env.hcl" is live/<env>/env.hcl.
#
# Emulator mode: live/local always (its account.hcl names an endpoint); dev, staging and prod
# when AWS_EMULATOR_ENDPOINT is set. Then the account is the emulator's
# (AWS_EMULATOR_ACCOUNT_ID, default stack.json's emulator account), so plans of those environments run
# against a moto server with their units unchanged.

locals {
  # Names, prefixes and emulator settings of the whole stack, shared with the Python tooling.
  stack      = jsondecode(file("${get_repo_root()}/stack.json"))
  project    = local.stack.project
  repository = local.stack.repository

  account = read_terragrunt_config("${get_original_terragrunt_dir()}/../account.hcl").locals
  env     = read_terragrunt_config("${get_original_terragrunt_dir()}/../env.hcl").locals

  environment = local.env.environment
  name        = "${local.stack.name_prefix}-${local.environment}"
  region      = local.account.region

  emulator_endpoint = get_env("AWS_EMULATOR_ENDPOINT", local.account.emulator_endpoint)
  emulated          = local.emulator_endpoint != ""
  account_id        = local.emulated ? get_env("AWS_EMULATOR_ACCOUNT_ID", local.stack.emulator.account_id) : local.account.account_id

  # Every role the stack creates carries the CI deploy role's permissions boundary (the deploy
  # role may create no other); the twin has no CI roles.
  permissions_boundary_arn = local.environment == "local" ? null : "arn:aws:iam::${local.account_id}:policy/${local.name}-github-boundary"

  # The kms unit's outputs as its dependents see them before it has state (plans of a fresh
  # environment): one placeholder key ARN per key of live/_common/kms.hcl.
  kms_mock_outputs = {
    key_arns = {
      for index, key in ["data", "queues", "logs"] :
      key => "arn:aws:kms:${local.region}:${local.account_id}:key/00000000-0000-0000-0000-00000000000${index}"
    }
  }

  state_bucket      = "${local.project}-tfstate-${local.account_id}-${local.region}"
  state_logs_bucket = "${local.project}-tfstate-logs-${local.account_id}-${local.region}"
  # State objects are written with SSE-KMS under this key (the root's remote_state; not in
  # emulator mode, where the key does not exist); the CI roles may use it (github-oidc).
  state_kms_key_arn = local.account.state_kms_key_id == null ? null : "arn:aws:kms:${local.region}:${local.account_id}:key/${local.account.state_kms_key_id}"
  # Matches the root's state key "${path_relative_to_include()}/terraform.tfstate".
  state_key_prefix = "live/${local.environment}/"

  default_tags = {
    Project     = local.project
    Environment = local.environment
    ManagedBy   = "terragrunt"
    Repository  = local.repository
  }
}
