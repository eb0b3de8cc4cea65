"""`make tools` without the internet: a local HTTPS release host and provider network mirror.

Each test copies the script, the Makefile and tools/ into a scratch repository whose
tools/checksums.txt and .terraform.lock.hcl pin small fake release files (shell scripts that
report the pinned version; the fake terraform hands every other command to the real one),
served over HTTPS from 127.0.0.1 with a self-signed certificate trusted through SSL_CERT_FILE.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import ssl
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PINS = dict(
    line.split("=", 1)
    for line in (REPO_ROOT / "tools" / "versions.env").read_text().splitlines()
    if line and not line.startswith("#")
)
TF, TG, AL, AWS = (
    PINS["TERRAFORM_VERSION"],
    PINS["TERRAGRUNT_VERSION"],
    PINS["ACTIONLINT_VERSION"],
    PINS["AWS_PROVIDER_VERSION"],
)
DOCS, TFLINT, RULESET = (
    PINS["TERRAFORM_DOCS_VERSION"],
    PINS["TFLINT_VERSION"],
    PINS["TFLINT_RULESET_AWS_VERSION"],
)
PLATFORM = "linux_amd64"
# Where TFLint looks for the plugin .tflint.hcl names, under a plugin directory.
RULESET_PATH = f"github.com/terraform-linters/tflint-ruleset-aws/{RULESET}/tflint-ruleset-aws"
REAL_TERRAFORM = shutil.which("terraform", path="/usr/local/bin:/usr/bin")
# Only the basic system tools: no Go, no Terraform, no Terragrunt.
SYSTEM_PATH = "/usr/bin:/bin"

pytestmark = pytest.mark.skipif(
    REAL_TERRAFORM is None or not Path("/usr/bin/openssl").exists(),
    reason="needs a real terraform (providers mirror) and openssl",
)


def script(body: str) -> bytes:
    return f"#!/bin/sh\n{body}\n".encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = 0o755 << 16
        archive.writestr(info, data)
    return buffer.getvalue()


def tarred(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fake_terraform() -> bytes:
    return script(
        'case "$1" in version|-version|--version) echo "Terraform v' + TF + '";; '
        f'*) exec {REAL_TERRAFORM} "$@";; esac'
    )


FAKE_TOOLS = {
    "terragrunt": script(f"echo 'terragrunt version v{TG}'"),
    "actionlint": script(f"echo '{AL}'"),
    "terraform-docs": script(f"echo 'terraform-docs version v{DOCS} linux/amd64'"),
    "tflint": script(f"echo 'TFLint version {TFLINT}'"),
    "checkov": script("echo '" + PINS["CHECKOV_VERSION"] + "'"),
}
FAKE_RULESET = script("echo 'a TFLint plugin'")

# Each release file `make tools` downloads: (tool, file, path on the release host, checksums
# file, archive maker, content).
RELEASES = [
    (
        "terragrunt",
        f"terragrunt_{PLATFORM}",
        f"terragrunt/v{TG}",
        "SHA256SUMS",
        lambda name, data: data,
        FAKE_TOOLS["terragrunt"],
    ),
    (
        "actionlint",
        f"actionlint_{AL}_{PLATFORM}.tar.gz",
        f"actionlint/v{AL}",
        f"actionlint_{AL}_checksums.txt",
        tarred,
        FAKE_TOOLS["actionlint"],
    ),
    (
        "terraform-docs",
        f"terraform-docs-v{DOCS}-linux-amd64.tar.gz",
        f"terraform-docs/v{DOCS}",
        f"terraform-docs-v{DOCS}.sha256sum",
        tarred,
        FAKE_TOOLS["terraform-docs"],
    ),
    (
        "tflint",
        f"tflint_{PLATFORM}.zip",
        f"tflint/v{TFLINT}",
        "checksums.txt",
        zipped,
        FAKE_TOOLS["tflint"],
    ),
    (
        "tflint-ruleset-aws",
        f"tflint-ruleset-aws_{PLATFORM}.zip",
        f"tflint-ruleset-aws/v{RULESET}",
        "checksums.txt",
        zipped,
        FAKE_RULESET,
    ),
]


@dataclass
class World:
    """A scratch repository, a release host serving it, and the environment to run in."""

    repo: Path
    site: Path
    cache: Path
    env: dict[str, str]

    def publish(self, relative: str, data: bytes) -> None:
        path = self.site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def run(self, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=self.repo,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def world(tmp_path: Path, tls_files: tuple[Path, Path]) -> Iterator[World]:
    site, repo = tmp_path / "site", tmp_path / "repo"
    site.mkdir()
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "scripts" / "tools.sh", repo / "scripts")
    shutil.copy(REPO_ROOT / "Makefile", repo)
    shutil.copytree(REPO_ROOT / "tools", repo / "tools")

    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"https://127.0.0.1:{server.server_address[1]}"

    pins: list[str] = []

    def release(relative: str, sums: str, data: bytes) -> None:
        name = relative.rsplit("/", 1)[1]
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_bytes(data)
        with (site / sums).open("a") as handle:
            handle.write(f"{sha256(data)}  {name}\n")
        pins.append(f"{name} {sha256(data)}")

    release(
        f"terraform/{TF}/terraform_{TF}_{PLATFORM}.zip",
        f"terraform/{TF}/terraform_{TF}_SHA256SUMS",
        zipped("terraform", fake_terraform()),
    )
    for tool, file, directory, sums, archive, content in RELEASES:
        release(f"{directory}/{file}", f"{directory}/{sums}", archive(tool, content))
    (repo / "tools" / "checksums.txt").write_text("\n".join(pins) + "\n")

    # The provider network mirror protocol: index.json, <version>.json and the archive.
    provider = zipped(f"terraform-provider-aws_v{AWS}_x5", script("echo fake provider"))
    mirror = site / "providers" / "registry.terraform.io" / "hashicorp" / "aws"
    mirror.mkdir(parents=True)
    archive = f"terraform-provider-aws_{AWS}_{PLATFORM}.zip"
    (mirror / archive).write_bytes(provider)
    (mirror / "index.json").write_text(json.dumps({"versions": {AWS: {}}}))
    (mirror / f"{AWS}.json").write_text(
        json.dumps({"archives": {PLATFORM: {"url": archive, "hashes": [f"zh:{sha256(provider)}"]}}})
    )
    (repo / ".terraform.lock.hcl").write_text(
        f'provider "registry.terraform.io/hashicorp/aws" {{\n  version = "{AWS}"\n'
        f'  hashes = [\n    "zh:{sha256(provider)}",\n  ]\n}}\n'
    )

    # A checkov of the pinned version on PATH (its real venv is covered by `make tools` itself).
    path_bin = tmp_path / "path-bin"
    path_bin.mkdir()
    (path_bin / "checkov").write_bytes(FAKE_TOOLS["checkov"])
    (path_bin / "checkov").chmod(0o755)

    env = {
        "PATH": f"{path_bin}:{SYSTEM_PATH}",
        "HOME": str(tmp_path / "home"),
        "TOOLS_DIR": str(tmp_path / "cache"),
        "SSL_CERT_FILE": str(cert),
        "CURL_CA_BUNDLE": str(cert),
        "TOOLS_TERRAFORM_URL": f"{base}/terraform",
        "TOOLS_TERRAGRUNT_URL": f"{base}/terragrunt",
        "TOOLS_ACTIONLINT_URL": f"{base}/actionlint",
        "TOOLS_TERRAFORM_DOCS_URL": f"{base}/terraform-docs",
        "TOOLS_TFLINT_URL": f"{base}/tflint",
        "TOOLS_TFLINT_RULESET_AWS_URL": f"{base}/tflint-ruleset-aws",
        "TOOLS_PROVIDER_MIRROR_URL": f"{base}/providers/",
        "CHECKPOINT_DISABLE": "1",
    }
    try:
        yield World(repo=repo, site=site, cache=tmp_path / "cache", env=env)
    finally:
        server.shutdown()
        server.server_close()


def test_online_path_installs_every_tool_from_verified_release_files(world: World) -> None:
    result = world.run("bash", "scripts/tools.sh")
    assert result.returncode == 0, result.stderr
    assert "online path" in result.stderr
    for name in (f"terraform_{TF}_{PLATFORM}.zip", *(release[1] for release in RELEASES)):
        assert f"verified {name}" in result.stderr
    for tool, version in (
        ("terraform", TF),
        ("terragrunt", TG),
        ("actionlint", AL),
        ("terraform-docs", DOCS),
        ("tflint", TFLINT),
    ):
        assert f"{tool} {version} {world.cache}/releases/{tool}-{version}/{tool}" in result.stdout
    # The plugin lands where TFLint looks for it, not on PATH.
    plugin = world.cache / "tflint-plugins" / RULESET_PATH
    assert plugin.read_bytes() == FAKE_RULESET
    assert not (world.cache / "bin" / "tflint-ruleset-aws").exists()
    env_sh = (world.cache / "env.sh").read_text()
    assert f'export TFLINT_PLUGIN_DIR="{world.cache}/tflint-plugins"' in env_sh
    provider = world.cache / f"provider-mirror/registry.terraform.io/hashicorp/aws/{AWS}/{PLATFORM}"
    assert (
        provider / f"terraform-provider-aws_v{AWS}_x5"
    ).read_text() == "#!/bin/sh\necho fake provider\n"
    assert "building" not in result.stderr
    # A warm run only checks.
    again = world.run("bash", "scripts/tools.sh")
    assert again.returncode == 0, again.stderr
    assert "verified" not in again.stderr
    assert "online path" not in again.stderr


@pytest.mark.parametrize(
    ("tool", "name", "directory", "archive"),
    [(tool, file, directory, archive) for tool, file, directory, _, archive, _ in RELEASES[1:]],
    ids=[release[0] for release in RELEASES[1:]],
)
def test_a_tampered_archive_fails_naming_the_file_and_both_hashes(
    world: World, tool: str, name: str, directory: str, archive: Callable[[str, bytes], bytes]
) -> None:
    published = sha256((world.site / f"{directory}/{name}").read_bytes())
    tampered = archive(tool, script("echo owned"))
    world.publish(f"{directory}/{name}", tampered)
    result = world.run("bash", "scripts/tools.sh")
    assert result.returncode != 0
    assert f"checksum mismatch for {name}: downloaded sha256 {sha256(tampered)}" in result.stderr
    assert f"release checksums file says {published}" in result.stderr
    assert not (world.cache / "bin" / tool).exists()
    assert not (world.cache / "tflint-plugins" / RULESET_PATH).exists()


def test_an_archive_matching_the_release_sums_but_not_the_repo_pin_fails(world: World) -> None:
    name = f"terragrunt_{PLATFORM}"
    pinned = sha256(FAKE_TOOLS["terragrunt"])
    tampered = script("echo 'terragrunt version v0.0.0'")
    world.publish(f"terragrunt/v{TG}/{name}", tampered)
    world.publish(f"terragrunt/v{TG}/SHA256SUMS", f"{sha256(tampered)}  {name}\n".encode())
    result = world.run("bash", "scripts/tools.sh")
    assert result.returncode != 0
    assert f"checksum mismatch for {name}: downloaded sha256 {sha256(tampered)}" in result.stderr
    assert f"tools/checksums.txt pins {pinned}" in result.stderr


def test_a_missing_pin_is_refused_loudly(world: World) -> None:
    pins = world.repo / "tools" / "checksums.txt"
    name = f"terragrunt_{PLATFORM}"
    pins.write_text(
        "".join(line if not line.startswith(name) else f"{name} MISSING\n" for line in pins.open())
    )
    result = world.run("bash", "scripts/tools.sh")
    assert result.returncode != 0
    assert f"no SHA256 pinned for {name} in tools/checksums.txt" in result.stderr
    assert "no Go to build it" in result.stderr


def test_a_provider_archive_outside_the_lock_file_fails(world: World) -> None:
    lock = world.repo / ".terraform.lock.hcl"
    other = "0" * 64
    lock.write_text(
        f'provider "registry.terraform.io/hashicorp/aws" {{\n  version = "{AWS}"\n'
        f'  hashes = [\n    "zh:{other}",\n  ]\n}}\n'
    )
    result = world.run("bash", "scripts/tools.sh")
    assert result.returncode != 0
    assert "could not be installed and verified against .terraform.lock.hcl" in result.stderr


def test_pinned_binaries_on_path_and_no_go_build_nothing(world: World, tmp_path: Path) -> None:
    on_path = tmp_path / "installed"
    on_path.mkdir()
    for name, body in {**FAKE_TOOLS, "terraform": fake_terraform()}.items():
        (on_path / name).write_bytes(body)
        (on_path / name).chmod(0o755)
    # The plugin where `tflint --init` puts it: linked, not downloaded.
    plugin = Path(world.env["HOME"]) / ".tflint.d" / "plugins" / RULESET_PATH
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(FAKE_RULESET)
    plugin.chmod(0o755)
    env_path = f"{on_path}:{SYSTEM_PATH}"
    assert shutil.which("go", path=env_path) is None
    result = world.run("make", "--no-print-directory", "tools", PATH=env_path)
    assert result.returncode == 0, result.stderr
    for tool in ("terraform", "terragrunt", "actionlint", "terraform-docs", "tflint", "checkov"):
        assert f" {on_path}/{tool}\n" in result.stdout
    assert f"tflint-ruleset-aws {RULESET} {plugin}\n" in result.stdout
    assert "tools: verified" not in result.stderr
    assert "building" not in result.stderr


def test_two_make_tools_on_one_fresh_cache_both_succeed(world: World) -> None:
    argv = ["make", "--no-print-directory", "tools"]
    runs = [
        subprocess.Popen(
            argv,
            cwd=world.repo,
            env=world.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert outputs[0][0] == outputs[1][0]
    assert not list(world.cache.glob(".scratch.*"))
    assert not (world.cache / ".lock").exists()
