#!/usr/bin/env bash
# Make the pinned toolchain (tools/versions.env) available in a per-user cache (`make tools`).
#
# Each tool is resolved in this order:
#   1. on PATH at the pinned version (mise, asdf, Homebrew, a CI setup action): used as is;
#   2. online: the official release file for this OS/arch, verified against the release's
#      published SHA256 checksums file AND the pin in tools/checksums.txt, unpacked into
#      the cache. hashicorp/aws comes through `terraform providers mirror` (the registry, or
#      TOOLS_PROVIDER_MIRROR_URL), checked against the committed .terraform.lock.hcl;
#   3. offline (chosen automatically when the release host cannot be reached): Terragrunt,
#      actionlint, terraform-docs, TFLint and its AWS ruleset built from the Go module proxy
#      (tools/<name>/go.mod), the provider from an unpacked mirror on the machine, built
#      from source only as the last resort.
# The TFLint AWS ruleset is a plugin, not a command: it goes into tflint-plugins/ in the
# cache (TFLINT_PLUGIN_DIR), at the path .tflint.hcl's source and version name.
# Idempotent: a warm run only checks versions. Ends with one line per tool:
#   <name> <version> <absolute path>
#
# Overrides (tests point them at a local server): TOOLS_TERRAFORM_URL, TOOLS_TERRAGRUNT_URL,
# TOOLS_ACTIONLINT_URL, TOOLS_TERRAFORM_DOCS_URL, TOOLS_TFLINT_URL,
# TOOLS_TFLINT_RULESET_AWS_URL (release download bases), TOOLS_PROVIDER_MIRROR_URL (a provider
# network mirror), TOOLS_OFFLINE=1|0 (skip the connectivity probe), TOOLS_ALLOW_UNPINNED=1
# (accept a file that has no pin in tools/checksums.txt, against the release checksums only).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
. "$repo_root/tools/versions.env"
pins_file=$repo_root/tools/checksums.txt
provider_lock=$repo_root/.terraform.lock.hcl

tools_dir=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ingest-pipeline/tools}
bin_dir=$tools_dir/bin
mkdir -p "$bin_dir"

terraform_url=${TOOLS_TERRAFORM_URL:-https://releases.hashicorp.com/terraform}
terragrunt_url=${TOOLS_TERRAGRUNT_URL:-https://github.com/gruntwork-io/terragrunt/releases/download}
actionlint_url=${TOOLS_ACTIONLINT_URL:-https://github.com/rhysd/actionlint/releases/download}
terraform_docs_url=${TOOLS_TERRAFORM_DOCS_URL:-https://github.com/terraform-docs/terraform-docs/releases/download}
tflint_url=${TOOLS_TFLINT_URL:-https://github.com/terraform-linters/tflint/releases/download}
tflint_ruleset_aws_url=${TOOLS_TFLINT_RULESET_AWS_URL:-https://github.com/terraform-linters/tflint-ruleset-aws/releases/download}
provider_mirror_url=${TOOLS_PROVIDER_MIRROR_URL:-}

log() { printf 'tools: %s\n' "$*" >&2; }
die() {
  printf 'tools: ERROR: %s\n' "$*" >&2
  exit 1
}

case "$(uname -s)" in
  Linux) host_os=linux ;;
  Darwin) host_os=darwin ;;
  *) die "unsupported OS $(uname -s): macOS and Linux are supported" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) host_arch=amd64 ;;
  aarch64 | arm64) host_arch=arm64 ;;
  *) die "unsupported CPU $(uname -m): x86_64 and arm64 are supported" ;;
esac
platform=${host_os}_${host_arch}

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
    [ "$waited" -lt 3600 ] || die "gave up after ${waited}s waiting for $lock_dir"
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$lock_dir/pid"
  scratch=$(mktemp -d "$tools_dir/.scratch.XXXXXX")
  trap 'rm -rf "$lock_dir" "$scratch"' EXIT
}
acquire_lock

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d ' ' -f 1; else shasum -a 256 "$1" | cut -d ' ' -f 1; fi
}

version_of() {
  case "$1" in
    actionlint) "$2" -version 2>/dev/null | head -n 1 ;;
    checkov)
      # `checkov --version` imports all of checkov (10-40 s); a venv's metadata answers at once.
      local python
      python=$(dirname "$(readlink -f "$2" 2>/dev/null || echo "$2")")/python
      if [ -x "$python" ]; then
        "$python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null
      else
        "$2" --version 2>/dev/null | head -n 1
      fi
      ;;
    *) "$2" --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 ;;
  esac
}

# on_path <name> <version>: the first <name> on PATH (outside this cache) at <version>.
on_path() {
  local name=$1 want=$2 dir
  local IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] && [ -x "$dir/$name" ] && [ ! -d "$dir/$name" ] || continue
    [ "$(cd "$dir" 2>/dev/null && pwd -P)" = "$(cd "$bin_dir" && pwd -P)" ] && continue
    if [ "$(version_of "$name" "$dir/$name" || true)" = "$want" ]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  return 1
}

# --- online or offline: decided once, on the first download ------------------------
network=""
probe_network() {
  [ -n "$network" ] && return 0
  case "${TOOLS_OFFLINE:-auto}" in
    1) network=offline reason="TOOLS_OFFLINE=1" ;;
    0) network=online ;;
    *)
      local rc=0
      curl -s -o /dev/null --connect-timeout 5 --max-time 20 "$terraform_url/" || rc=$?
      case $rc in
        6 | 7 | 28 | 5) network=offline reason="cannot connect to $terraform_url (curl exit $rc)" ;;
        *) network=online ;;
      esac
      ;;
  esac
  if [ "$network" = online ]; then
    log "online path: release files from their official hosts, verified against tools/checksums.txt"
  else
    log "offline path: $reason; building from the Go module proxy and using local mirrors"
  fi
}

# fetch_verified <file> <url> <checksums url> <dest>: download and check both hashes.
fetch_verified() {
  local file=$1 url=$2 sums_url=$3 dest=$4 pinned published actual
  pinned=$(awk -v f="$file" '$1 == f { print $2 }' "$pins_file")
  if [ -z "$pinned" ] || [ "$pinned" = MISSING ]; then
    if [ "${TOOLS_ALLOW_UNPINNED:-0}" != 1 ]; then
      log "WARNING: no SHA256 pinned for $file in tools/checksums.txt: not downloading it (copy its line from $sums_url into that file, or set TOOLS_ALLOW_UNPINNED=1 to trust the release's checksums file alone); building from source instead"
      return 2
    fi
    log "WARNING: $file has no pin in tools/checksums.txt; trusting $sums_url alone (TOOLS_ALLOW_UNPINNED=1)"
    pinned=""
  fi
  curl -fsSL --retry 2 --connect-timeout 10 -o "$dest" "$url" || die "download failed: $url"
  curl -fsSL --retry 2 --connect-timeout 10 -o "$dest.sums" "$sums_url" || die "download failed: $sums_url"
  published=$(awk -v f="$file" '{ sub(/^\*/, "", $2) } $2 == f { print $1 }' "$dest.sums" | head -n 1)
  [ -n "$published" ] || die "$file is not listed in $sums_url"
  actual=$(sha256_of "$dest")
  [ "$actual" = "$published" ] ||
    die "checksum mismatch for $file: downloaded sha256 $actual, release checksums file says $published"
  [ -z "$pinned" ] || [ "$actual" = "$pinned" ] ||
    die "checksum mismatch for $file: downloaded sha256 $actual, tools/checksums.txt pins $pinned"
  log "verified $file (sha256 $actual)"
}

# install_release <name> <version> <file> <url> <sums url> <format zip|tgz|raw> [link]
# The unpacked <name> is linked as [link] (default: bin/<name>).
install_release() {
  local name=$1 version=$2 file=$3 url=$4 sums_url=$5 format=$6
  local link=${7:-$bin_dir/$name}
  local target=$tools_dir/releases/$name-$version work=$scratch/$name
  mkdir -p "$work/unpacked"
  fetch_verified "$file" "$url" "$sums_url" "$work/$file" || return $?
  case $format in
    zip) (cd "$work/unpacked" && unzip -q "$work/$file") ;;
    tgz) tar -xzf "$work/$file" -C "$work/unpacked" ;;
    raw) cp "$work/$file" "$work/unpacked/$name" ;;
  esac
  [ -f "$work/unpacked/$name" ] || die "$file has no $name in it"
  chmod +x "$work/unpacked/$name"
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$work/unpacked" "$target"
  mkdir -p "$(dirname "$link")"
  ln -sfn "$target/$name" "$link"
}

# go_build <pinning module dir> <package> <output> [ldflags]
go_build() {
  local module_dir=$1 package=$2 output=$3 ldflags=${4:-} started=$SECONDS
  command -v go >/dev/null 2>&1 ||
    die "$(basename "$output") is not on PATH at its pinned version and there is no Go to build it: install one of them"
  log "building $(basename "$output") from $package (offline path; a few minutes)"
  (cd "$repo_root/tools/$module_dir" &&
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$output.tmp" "$package")
  mv "$output.tmp" "$output"
  log "built $(basename "$output") in $((SECONDS - started))s"
}

# release_or_build <name> <version> <file> <url> <sums url> <format> <module dir> <package> [ldflags] [link]:
# the verified release file when online and pinned, else a Go build of the pinned module.
release_or_build() {
  local name=$1 version=$2 file=$3 url=$4 sums_url=$5 format=$6 module_dir=$7 package=$8
  local ldflags=${9:-} link=${10:-$bin_dir/$name}
  probe_network
  if [ "$network" = online ] && install_release "$name" "$version" "$file" "$url" "$sums_url" "$format" "$link"; then
    return 0
  fi
  rm -f "$link"
  mkdir -p "$(dirname "$link")"
  go_build "$module_dir" "$package" "$link" "$ldflags"
}

# ensure <name> <version>: step 1 (PATH) or the cache as it is; returns 1 when neither.
ensure_cached() {
  local name=$1 version=$2 found
  if found=$(on_path "$name" "$version"); then
    ln -sfn "$found" "$bin_dir/$name"
    return 0
  fi
  [ "$(version_of "$name" "$bin_dir/$name" || true)" = "$version" ]
}

# --- terraform ---------------------------------------------------------------------
if ! ensure_cached terraform "$TERRAFORM_VERSION"; then
  probe_network
  [ "$network" = online ] ||
    die "offline and no Terraform $TERRAFORM_VERSION on PATH: install it (a single binary; mise, asdf, Homebrew) and run make tools again"
  file=terraform_${TERRAFORM_VERSION}_${platform}.zip
  install_release terraform "$TERRAFORM_VERSION" "$file" "$terraform_url/$TERRAFORM_VERSION/$file" \
    "$terraform_url/$TERRAFORM_VERSION/terraform_${TERRAFORM_VERSION}_SHA256SUMS" zip ||
    die "no Terraform $TERRAFORM_VERSION: put it on PATH (mise, asdf, Homebrew) or pin $file in tools/checksums.txt"
fi
# A stable name for the Terraform binary: the Makefile exports TG_TF_PATH=bin/tf.
ln -sfn "$bin_dir/terraform" "$bin_dir/tf"
rm -f "$bin_dir/tofu"

# --- terragrunt ----------------------------------------------------------------------
if ! ensure_cached terragrunt "$TERRAGRUNT_VERSION"; then
  release_or_build terragrunt "$TERRAGRUNT_VERSION" "terragrunt_${platform}" \
    "$terragrunt_url/v$TERRAGRUNT_VERSION/terragrunt_${platform}" "$terragrunt_url/v$TERRAGRUNT_VERSION/SHA256SUMS" raw \
    terragrunt github.com/gruntwork-io/terragrunt "-X github.com/gruntwork-io/terragrunt/internal/version.Version=v$TERRAGRUNT_VERSION"
fi

# --- actionlint (workflow linter) ------------------------------------------------------
if ! ensure_cached actionlint "$ACTIONLINT_VERSION"; then
  release_or_build actionlint "$ACTIONLINT_VERSION" "actionlint_${ACTIONLINT_VERSION}_${platform}.tar.gz" \
    "$actionlint_url/v$ACTIONLINT_VERSION/actionlint_${ACTIONLINT_VERSION}_${platform}.tar.gz" \
    "$actionlint_url/v$ACTIONLINT_VERSION/actionlint_${ACTIONLINT_VERSION}_checksums.txt" tgz \
    actionlint github.com/rhysd/actionlint/cmd/actionlint "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION"
fi

# --- terraform-docs (the module READMEs' Inputs/Outputs tables) ----------------------------
if ! ensure_cached terraform-docs "$TERRAFORM_DOCS_VERSION"; then
  release_or_build terraform-docs "$TERRAFORM_DOCS_VERSION" \
    "terraform-docs-v$TERRAFORM_DOCS_VERSION-${host_os}-${host_arch}.tar.gz" \
    "$terraform_docs_url/v$TERRAFORM_DOCS_VERSION/terraform-docs-v$TERRAFORM_DOCS_VERSION-${host_os}-${host_arch}.tar.gz" \
    "$terraform_docs_url/v$TERRAFORM_DOCS_VERSION/terraform-docs-v$TERRAFORM_DOCS_VERSION.sha256sum" tgz \
    terraform-docs github.com/terraform-docs/terraform-docs
fi

# --- TFLint and its AWS ruleset plugin -----------------------------------------------------
if ! ensure_cached tflint "$TFLINT_VERSION"; then
  release_or_build tflint "$TFLINT_VERSION" "tflint_${platform}.zip" \
    "$tflint_url/v$TFLINT_VERSION/tflint_${platform}.zip" "$tflint_url/v$TFLINT_VERSION/checksums.txt" zip \
    tflint github.com/terraform-linters/tflint
fi
# The path TFLint derives from .tflint.hcl's plugin block: <source>/<version>/tflint-ruleset-<name>.
# The plugin cannot report its version on its own, so the version in the path is the check;
# both writers (install_release's link, go_build's mv) make the file appear complete or not at all.
tflint_plugin_dir=$tools_dir/tflint-plugins
ruleset_path=github.com/terraform-linters/tflint-ruleset-aws/$TFLINT_RULESET_AWS_VERSION/tflint-ruleset-aws
if [ ! -x "$tflint_plugin_dir/$ruleset_path" ]; then
  if [ -x "$HOME/.tflint.d/plugins/$ruleset_path" ]; then
    # Installed by `tflint --init` (which checks the release's signature): linked, like a tool on PATH.
    mkdir -p "$(dirname "$tflint_plugin_dir/$ruleset_path")"
    ln -sfn "$HOME/.tflint.d/plugins/$ruleset_path" "$tflint_plugin_dir/$ruleset_path"
  else
    release_or_build tflint-ruleset-aws "$TFLINT_RULESET_AWS_VERSION" "tflint-ruleset-aws_${platform}.zip" \
      "$tflint_ruleset_aws_url/v$TFLINT_RULESET_AWS_VERSION/tflint-ruleset-aws_${platform}.zip" \
      "$tflint_ruleset_aws_url/v$TFLINT_RULESET_AWS_VERSION/checksums.txt" zip \
      tflint-ruleset-aws github.com/terraform-linters/tflint-ruleset-aws "" "$tflint_plugin_dir/$ruleset_path"
  fi
fi

# --- checkov (policy gate), in a venv of its own: it pins an older boto3 -----------------
if ! ensure_cached checkov "$CHECKOV_VERSION"; then
  checkov_venv=$tools_dir/checkov-$CHECKOV_VERSION
  if [ "$(version_of checkov "$checkov_venv/bin/checkov" || true)" != "$CHECKOV_VERSION" ]; then
    log "installing checkov $CHECKOV_VERSION (hash-checked requirements, through uv)"
    # uv (itself hash-checked) downloads and installs in parallel: pip alone takes minutes here.
    installer=$scratch/installer
    python3 -m venv "$installer"
    "$installer/bin/pip" install --quiet --disable-pip-version-check --no-compile --require-hashes \
      -r "$repo_root/tools/requirements-uv.txt"
    rm -rf "$checkov_venv"
    "$installer/bin/uv" venv --quiet --seed --python "$(command -v python3)" "$checkov_venv"
    "$installer/bin/uv" pip install --quiet --python "$checkov_venv/bin/python" --require-hashes \
      -r "$repo_root/tools/requirements-checkov.txt"
  fi
  ln -sfn "$checkov_venv/bin/checkov" "$bin_dir/checkov"
fi

# --- hashicorp/aws: an unpacked filesystem mirror in the cache ---------------------------
# Every init reads it (no plugin cache: parallel inits share nothing mutable) and checks it
# against the committed .terraform.lock.hcl, whose h1: hash for this platform must be there.
provider_dir=$tools_dir/provider-mirror/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$platform
provider_bin=terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5
provider_source=""
grep -q "version *= \"$AWS_PROVIDER_VERSION\"" "$provider_lock" ||
  die ".terraform.lock.hcl does not lock hashicorp/aws $AWS_PROVIDER_VERSION (tools/versions.env): run make providers-lock"

# `terraform init` of a one-provider configuration, from the registry or the network mirror,
# with the committed lock file read-only: init verifies the package against its hashes
# (`terraform providers mirror` would ignore a network mirror: it always asks the origin).
mirror_from_network() {
  local work=$scratch/provider installed
  mkdir -p "$work/config"
  cat >"$work/config/main.tf" <<EOF
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "$AWS_PROVIDER_VERSION"
    }
  }
}
EOF
  cp "$provider_lock" "$work/config/.terraform.lock.hcl"
  if [ -n "$provider_mirror_url" ]; then
    printf 'provider_installation {\n  network_mirror {\n    url = "%s"\n  }\n}\n' "$provider_mirror_url" >"$work/cli.rc"
  else
    printf 'provider_installation {\n  direct {}\n}\n' >"$work/cli.rc"
  fi
  log "installing hashicorp/aws $AWS_PROVIDER_VERSION ($platform) from ${provider_mirror_url:-the Terraform registry}, checked against .terraform.lock.hcl"
  TF_CLI_CONFIG_FILE=$work/cli.rc TF_PLUGIN_CACHE_DIR="" TF_DATA_DIR="$work/data" "$bin_dir/terraform" -chdir="$work/config" \
    init -backend=false -input=false -no-color -lockfile=readonly >"$work/init.log" 2>&1 ||
    die "hashicorp/aws $AWS_PROVIDER_VERSION could not be installed and verified against .terraform.lock.hcl: $(grep -v '^$' "$work/init.log" | tail -n 6)"
  installed=$work/data/providers/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$platform
  [ -f "$installed/$provider_bin" ] || die "terraform init installed no $provider_bin"
  rm -rf "$provider_dir"
  mkdir -p "$(dirname "$provider_dir")"
  mv "$installed" "$provider_dir"
  provider_source="${provider_mirror_url:-the Terraform registry} (verified against .terraform.lock.hcl)"
}

link_local_mirror() {
  local root found
  for root in /opt /usr/local/share /usr/share /var/lib "$HOME/.terraform.d"; do
    [ -d "$root" ] || continue
    found=$(find "$root" -maxdepth 8 -type f \
      -path "*/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$platform/$provider_bin" 2>/dev/null | head -n 1)
    [ -n "$found" ] || continue
    # Every file of the package (the h1: hash covers them all), linked, never copied (600+ MB).
    rm -rf "$provider_dir"
    mkdir -p "$provider_dir"
    ln -s "$(dirname "$found")"/* "$provider_dir/"
    provider_source="the unpacked mirror $(dirname "$found")"
    return 0
  done
  return 1
}

build_provider() {
  command -v go >/dev/null 2>&1 || die "offline, no hashicorp/aws $AWS_PROVIDER_VERSION mirror on this machine and no Go to build it"
  log "no hashicorp/aws $AWS_PROVIDER_VERSION mirror on this machine; building the provider (last resort: ~20-60 min, several GiB of RAM)"
  local gobin=$scratch/gobin
  (cd "$scratch" && GOBIN=$gobin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/hashicorp/terraform-provider-aws@v$AWS_PROVIDER_VERSION")
  rm -rf "$provider_dir"
  mkdir -p "$provider_dir"
  mv "$gobin/terraform-provider-aws" "$provider_dir/$provider_bin"
  provider_source="built from source (its h1: hash is not the release's: init needs a lock entry for it)"
}

# The marker is written once the package directory is complete (a crash leaves none).
provider_done=$tools_dir/releases/hashicorp-aws-$AWS_PROVIDER_VERSION-$platform.done
if [ -f "$provider_done" ] && [ -x "$provider_dir/$provider_bin" ]; then
  provider_source="the cache"
else
  probe_network
  if [ "$network" = online ]; then
    mirror_from_network
  else
    link_local_mirror || build_provider
  fi
  mkdir -p "$(dirname "$provider_done")"
  echo "$provider_source" >"$provider_done"
fi
log "hashicorp/aws $AWS_PROVIDER_VERSION from $provider_source"
case $platform in
  linux_amd64 | darwin_arm64) ;;
  *) log "WARNING: .terraform.lock.hcl has no h1: hash for $platform yet: init verifies the mirror by it; run make providers-lock (online) and commit the file" ;;
esac
rm -rf "$tools_dir/mirror" "$tools_dir/plugin-cache" "$tools_dir/provider-mirror/registry.opentofu.org"

# --- CLI configuration: hashicorp/* only from the mirror, anything else from the registry ---
cat >"$scratch/terraform.rc" <<EOF
# Generated by scripts/tools.sh. hashicorp providers come only from the unpacked mirror in
# this cache, which init links into each working directory and checks against the committed
# .terraform.lock.hcl. No plugin cache: Terraform rewrites a cache entry at every init and
# parallel inits (module tests, run --all) would see it missing mid-run.
provider_installation {
  filesystem_mirror {
    path    = "$tools_dir/provider-mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
disable_checkpoint = true
EOF
mv "$scratch/terraform.rc" "$tools_dir/terraform.rc"

# For shells outside make: `. "$TOOLS_DIR/env.sh"` (the Makefile sets the same).
cat >"$scratch/env.sh" <<EOF
# Generated by scripts/tools.sh
export PATH="$bin_dir:\$PATH"
export TF_CLI_CONFIG_FILE="$tools_dir/terraform.rc"
export TG_TF_PATH="$bin_dir/tf"
export TFLINT_PLUGIN_DIR="$tflint_plugin_dir"
EOF
mv "$scratch/env.sh" "$tools_dir/env.sh"

for tool in terragrunt terraform actionlint terraform-docs tflint checkov; do
  pin_var=$(printf '%s_VERSION' "$tool" | tr '[:lower:]-' '[:upper:]_')
  echo "$tool ${!pin_var} $(readlink -f "$bin_dir/$tool" 2>/dev/null || echo "$bin_dir/$tool")"
done
echo "tflint-ruleset-aws $TFLINT_RULESET_AWS_VERSION $(readlink -f "$tflint_plugin_dir/$ruleset_path")"
echo "hashicorp/aws $AWS_PROVIDER_VERSION $provider_dir/$provider_bin"
