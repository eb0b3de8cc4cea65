#!/usr/bin/env bash
# Make the pinned toolchain available offline in a per-user cache (`make tools`).
#
# Sources, in order of preference (never a prebuilt binary from a website):
#   1. what the machine already has: a Terraform of the pinned version, an
#      unpacked hashicorp/aws provider mirror of the pinned version;
#   2. otherwise built with the Go toolchain from the Go module proxy, from the
#      small pinning modules under tools/<name>/go.mod.
# Idempotent: a warm run only checks versions. Ends with one line per tool:
#   <name> <version> <absolute path>
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
. "$repo_root/tools/versions.env"

tools_dir=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ingest-pipeline/tools}
bin_dir=$tools_dir/bin
mkdir -p "$bin_dir"

log() { printf 'tools: %s\n' "$*" >&2; }

# One `make tools` at a time per cache (two checkouts, or `make up` beside `make test`): the
# others wait. mkdir is atomic on every platform (flock(1) is not on macOS); a lock whose
# holder is gone is stale and taken over.
lock_dir=$tools_dir/.lock
acquire_lock() {
  local waited=0 holder
  until mkdir "$lock_dir" 2>/dev/null; do
    holder=$(cat "$lock_dir/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
      log "taking over the stale lock of process $holder"
      rm -rf "$lock_dir"
      continue
    fi
    [ "$waited" -eq 0 ] && log "another make tools (pid ${holder:-?}) is using $tools_dir; waiting"
    [ "$waited" -lt 3600 ] || { log "gave up after ${waited}s waiting for $lock_dir"; exit 1; }
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$lock_dir/pid"
  trap 'rm -rf "$lock_dir"' EXIT
}
acquire_lock

# go_build <pinning module dir> <package> <output> [ldflags]
go_build() {
  local module_dir=$1 package=$2 output=$3 ldflags=${4:-}
  local started=$SECONDS
  log "building $(basename "$output") from $package (first run only; a few minutes)"
  (cd "$repo_root/tools/$module_dir" &&
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$output.tmp" "$package")
  mv "$output.tmp" "$output"
  log "built $(basename "$output") in $((SECONDS - started))s"
}

version_of() { "$1" version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1; }

# --- terraform (pinned, if the machine has it) or OpenTofu (built) ----------
tf_name="" tf_version="" tf_path=""
for candidate in "$(command -v terraform || true)" /usr/local/bin/terraform /usr/bin/terraform /opt/terraform/terraform; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  [ "$candidate" = "$bin_dir/terraform" ] && continue
  if [ "$(version_of "$candidate")" = "$TERRAFORM_VERSION" ]; then
    tf_name=terraform tf_version=$TERRAFORM_VERSION tf_path=$(readlink -f "$candidate")
    break
  fi
done
if [ -z "$tf_name" ]; then
  tofu=$bin_dir/tofu
  if [ "$(version_of "$tofu" || true)" != "$OPENTOFU_VERSION" ]; then
    go_build opentofu github.com/opentofu/opentofu/cmd/tofu "$tofu" "-X github.com/opentofu/opentofu/version.dev=no"
  fi
  tf_name=tofu tf_version=$OPENTOFU_VERSION tf_path=$tofu
fi
ln -sfn "$tf_path" "$bin_dir/$tf_name"
# A stable name for the chosen binary: the Makefile exports TG_TF_PATH=bin/tf.
ln -sfn "$bin_dir/$tf_name" "$bin_dir/tf"

# --- terragrunt ----------------------------------------------------------------
terragrunt=$bin_dir/terragrunt
if [ "$(version_of "$terragrunt" || true)" != "$TERRAGRUNT_VERSION" ]; then
  go_build terragrunt github.com/gruntwork-io/terragrunt "$terragrunt" \
    "-X github.com/gruntwork-io/terragrunt/internal/version.Version=v$TERRAGRUNT_VERSION"
fi

# --- actionlint (workflow linter) -------------------------------------------------
actionlint=$bin_dir/actionlint
if [ "$("$actionlint" -version 2>/dev/null | head -n 1)" != "$ACTIONLINT_VERSION" ]; then
  go_build actionlint github.com/rhysd/actionlint/cmd/actionlint "$actionlint" \
    "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION"
fi

# --- checkov (policy gate), in a venv of its own: it pins an older boto3 ---------
checkov_venv=$tools_dir/checkov-$CHECKOV_VERSION
if [ "$("$checkov_venv/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  log "installing checkov $CHECKOV_VERSION"
  rm -rf "$checkov_venv"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$repo_root/tools/requirements-checkov.txt"
fi
ln -sfn "$checkov_venv/bin/checkov" "$bin_dir/checkov"

# --- hashicorp/aws provider mirror -------------------------------------------------
provider_rel=registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64
provider_bin=terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5
mirror=""
if [ -x "$tools_dir/mirror/$provider_rel/$provider_bin" ]; then
  mirror=$tools_dir/mirror
else
  for root in /opt /usr/local/share /usr/share /var/lib "$HOME/.terraform.d"; do
    [ -d "$root" ] || continue
    found=$(find "$root" -maxdepth 8 -type f -path "*/$provider_rel/$provider_bin" 2>/dev/null | head -n 1)
    if [ -n "$found" ]; then
      mirror=${found%/"$provider_rel/$provider_bin"}
      break
    fi
  done
fi
if [ -z "$mirror" ]; then
  mirror=$tools_dir/mirror
  mkdir -p "$mirror/$provider_rel"
  log "no hashicorp/aws $AWS_PROVIDER_VERSION mirror on this machine; building the provider (large: ~20 min, several GiB of RAM)"
  gopath_bin=$(mktemp -d)
  (cd "$(mktemp -d)" && GOBIN=$gopath_bin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/hashicorp/terraform-provider-aws@v$AWS_PROVIDER_VERSION")
  mv "$gopath_bin/terraform-provider-aws" "$mirror/$provider_rel/$provider_bin"
fi
# The mirror seen by init: real directories (OpenTofu does not follow directory
# symlinks there) serving the provider binary under both registry host names, so
# Terraform and OpenTofu resolve `hashicorp/aws` from it alike.
[ -L "$tools_dir/provider-mirror" ] && rm "$tools_dir/provider-mirror"
for host in registry.terraform.io registry.opentofu.org; do
  target_dir=$tools_dir/provider-mirror/$host/${provider_rel#registry.terraform.io/}
  mkdir -p "$target_dir"
  ln -sfn "$mirror/$provider_rel/$provider_bin" "$target_dir/$provider_bin"
done

# --- CLI configuration: init uses the mirror and never the network ------------------
cat >"$tools_dir/terraform.rc.tmp" <<EOF
# Generated by scripts/tools.sh. Providers come only from the local mirror, which init
# links into each working directory. No plugin cache: Terraform rewrites a cache entry at
# every init and parallel inits (module tests, run --all) would see it missing mid-run.
provider_installation {
  filesystem_mirror {
    path    = "$tools_dir/provider-mirror"
    include = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
}
disable_checkpoint = true
EOF
mv "$tools_dir/terraform.rc.tmp" "$tools_dir/terraform.rc"

# For shells outside make: `. "$TOOLS_DIR/env.sh"` (the Makefile sets the same).
cat >"$tools_dir/env.sh" <<EOF
# Generated by scripts/tools.sh
export PATH="$bin_dir:\$PATH"
export TF_CLI_CONFIG_FILE="$tools_dir/terraform.rc"
export TG_TF_PATH="$bin_dir/tf"
EOF

log "actionlint $ACTIONLINT_VERSION $actionlint; checkov $CHECKOV_VERSION $bin_dir/checkov"
echo "terragrunt $TERRAGRUNT_VERSION $terragrunt"
echo "$tf_name $tf_version $bin_dir/$tf_name"
echo "hashicorp/aws $AWS_PROVIDER_VERSION $mirror/$provider_rel/$provider_bin"
