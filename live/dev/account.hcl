# The AWS account and region the dev environment deploys to (one account per environment).
locals {
  account_id        = "111111111111"
  region            = "eu-central-1"
  emulator_endpoint = ""
}
