include "root" {
  path = "${get_repo_root()}/terragrunt.hcl"
}

include "component" {
  path = "${get_repo_root()}/live/_common/kms.hcl"
}
