# TFLint (`make tflint`, the tflint pre-commit hook) on every module in modules/, with the
# recommended rules of the bundled terraform ruleset and of the AWS ruleset. `make tools`
# installs the AWS plugin at <TFLINT_PLUGIN_DIR>/<source>/<version>/; its version equals
# TFLINT_RULESET_AWS_VERSION in tools/versions.env (tests/tools checks it).
# A finding is fixed, or ignored on its line with `# tflint-ignore: <rule> # <why>`.
config {
  # Arguments passed to the modules' own child modules (ecs-service, tls-only-policy) are
  # checked too; registry modules are not called.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
  version = "0.36.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
  # No `preset` here: this ruleset has no presets, and the rules it enables by default are its
  # recommended set.
  # Static checks only: deep checking calls AWS APIs, which needs credentials.
  deep_check = false
}
