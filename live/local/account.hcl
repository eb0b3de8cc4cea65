# The local twin: everything goes to the emulator that `make up` starts (moto server).
# AWS_EMULATOR_ENDPOINT overrides the address; the account is the emulator's.
locals {
  account_id        = "123456789012"
  region            = "eu-central-1"
  emulator_endpoint = "http://127.0.0.1:4566"
  # The twin's state stays in the emulator, encrypted with the bucket default.
  state_kms_key_id = null
}
