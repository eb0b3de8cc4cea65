# The AWS account and region the staging environment deploys to (one account per environment).
locals {
  account_id        = "222222222222"
  region            = "eu-central-1"
  emulator_endpoint = ""
}
