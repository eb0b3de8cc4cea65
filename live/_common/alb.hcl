# The alb component, included by live/<env>/alb/terragrunt.hcl. Settings: env.hcl `alb`.
locals {
  context = read_terragrunt_config("${get_repo_root()}/live/_common/context.hcl").locals
}

terraform {
  source = "${get_repo_root()}/modules//alb"
}

dependency "vpc" {
  config_path = "${get_terragrunt_dir()}/../vpc"

  # Plans and validation of a fresh environment, before the vpc unit has state.
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
  mock_outputs = {
    vpc_id            = "vpc-00000000000000000"
    vpc_cidr_block    = "10.0.0.0/16"
    public_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002"]
  }
}

inputs = merge(local.context.env.alb, {
  name              = local.context.name
  vpc_id            = dependency.vpc.outputs.vpc_id
  vpc_cidr_block    = dependency.vpc.outputs.vpc_cidr_block
  public_subnet_ids = dependency.vpc.outputs.public_subnet_ids
})
