# The AWS account and region the staging environment deploys to (one account per environment).
locals {
  account_id        = "222222222222"
  region            = "eu-central-1"
  emulator_endpoint = ""
  # The customer-managed key of the state bucket's objects, created once per account by an
  # administrator before the first state is written (root README, "Deploying to AWS").
  # Placeholder: put the key's id here.
  state_kms_key_id = "00000000-0000-4000-8000-000000000000"
}
