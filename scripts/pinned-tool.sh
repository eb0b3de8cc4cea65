#!/usr/bin/env bash
# Run one of the project's pinned tools (`make tools`) by name, e.g. from a pre-commit hook:
#   scripts/pinned-tool.sh terraform fmt -check main.tf
# Works with or without the Makefile's environment: it finds the tool cache itself.
set -euo pipefail

tools_dir="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ingest-pipeline/tools}"
name="${1:?usage: pinned-tool.sh NAME [ARGS...]}"
shift

if [[ ! -x "$tools_dir/bin/$name" ]]; then
  echo "pinned-tool: $tools_dir/bin/$name not found; run 'make tools'" >&2
  exit 127
fi
export PATH="$tools_dir/bin:$PATH"
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE:-$tools_dir/terraform.rc}"
export TG_TF_PATH="${TG_TF_PATH:-$tools_dir/bin/tf}"
export TFLINT_PLUGIN_DIR="${TFLINT_PLUGIN_DIR:-$tools_dir/tflint-plugins}"
export CHECKPOINT_DISABLE=1
exec "$tools_dir/bin/$name" "$@"
