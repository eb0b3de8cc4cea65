#!/usr/bin/env bash
# Plan one environment exactly as the plan workflow does (and as tests/ci replays it against
# the emulator):
#
#   scripts/plan-environment.sh <env> <out dir> [<base sha>]
#
# Runs from the repository root with the environment as a path filter, so plan files land in
# <out>/bin/live/<env>/<unit>/ and JSON plans in <out>/json/live/<env>/<unit>/tfplan.json.
# With a base commit, and when `python -m devstack.ci.plan_scope` says the change allows it, only the
# units affected since the base are planned (Terragrunt's Git filter, intersected with the
# environment: on its own it also returns other environments' units). Extra terraform plan
# arguments come from PLAN_ARGS. The human-readable output goes to stdout.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 <env> <out dir> [<base sha>]" >&2
  exit 2
fi
environment=$1 out=$2 base=${3:-}
case $environment in
  *[!a-z0-9_-]* | "") echo "invalid environment name: $environment" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d "live/$environment" ] || { echo "no such environment: live/$environment" >&2; exit 2; }

filter="live/$environment/**"
scope=all
if [ -n "$base" ]; then
  scope=$(git diff --name-only "$base...HEAD" | python -m devstack.ci.plan_scope)
  if [ "$scope" = affected ]; then
    filter="[$base...HEAD] | $filter"
  fi
fi
echo "plan $environment: scope $scope, filter '$filter'" >&2

mkdir -p "$out"
# shellcheck disable=SC2086 # PLAN_ARGS is a list of plan flags
terragrunt run --all --non-interactive --no-color --filter "$filter" \
  --out-dir "$out/bin" --json-out-dir "$out/json" \
  -- plan -input=false ${PLAN_ARGS:-}
