# The s3 component (the data bucket the worker writes to), included by
# live/<env>/s3/terragrunt.hcl. Settings: env.hcl `s3`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//s3"
}

inputs = merge(local.context.env.s3, {
  # Bucket names are global: account and region make it unique.
  bucket_name = "${local.context.name}-data-${local.context.account_id}-${local.context.region}"
})
