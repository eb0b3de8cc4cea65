# Sourced by workflow steps after the setup-tools action: the pinned tools (the same
# variables the Makefile exports) and the project venv on PATH. Sourcing it in each step,
# instead of writing GITHUB_PATH/GITHUB_ENV, keeps every step's environment explicit.
# shellcheck shell=bash
# shellcheck source=/dev/null
. "${TOOLS_DIR:-$HOME/.cache/ingest-pipeline/tools}/env.sh"
export PATH="$GITHUB_WORKSPACE/.venv/bin:$PATH"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
