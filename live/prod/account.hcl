# The AWS account and region the prod environment deploys to (one account per environment).
locals {
  account_id        = "048999592382"
  region            = "eu-central-1"
  emulator_endpoint = ""
}
