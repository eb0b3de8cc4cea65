"""The frontend's API token: create it, rotate it, finish a rotation. Terraform never sees it.

    python -m devstack.token create --parameter NAME --key KEY [--show]  # when missing
    python -m devstack.token rotate --parameter NAME --key KEY [--show]  # "<new>\\n<current>"
    python -m devstack.token finish --parameter NAME --key KEY           # "<new>" alone
    ... --endpoint URL   # the emulator, with its dummy credentials

`make token ENV=<env>` and `make rotate-token ENV=<env> [FINISH=1]` run it with the `ecs`
unit's outputs `token_parameter_name` and `token_kms_key_arn` (for `local` from the running
twin's .local/stack.env); `make up` creates the twin's token with it. Without `--endpoint`,
AWS credentials and region come from the environment like any AWS CLI.

The parameter is a SecureString encrypted with the environment's token key (modules/ecs), whose
policy lets only the operators (`token_operator_arns`) write it and the frontend's task role
read it, both through SSM.

- create: a new 48-character token when the parameter is missing; an existing parameter under
  another key (e.g. the AWS-managed aws/ssm key of earlier versions) is re-encrypted with the
  token key, value unchanged; otherwise nothing changes.
- rotate: writes a new token on the first line and the current one on the second; the frontend
  accepts both (services/frontend/frontend/token_store.py). Refused while a rotation is
  unfinished, so no client's token is dropped unannounced.
- finish: keeps the first line only; within one token cache TTL the previous token is refused.

The token is printed only with `--show` (alone on stdout, for the twin's curl); reports never
contain it.
"""

from __future__ import annotations

import argparse
import secrets
import string
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from devstack import emulator

TOKEN_LENGTH = 48
_ALPHABET = string.ascii_letters + string.digits
_DESCRIPTION = "API token of the read-token services (devstack.token writes it, never Terraform)"


class TokenError(RuntimeError):
    """The token was left as it was; the message says why."""


def new_token() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


@dataclass(frozen=True)
class Outcome:
    action: str  # created, re-encrypted, kept, rotated, finished
    token: str  # the current token (first line): printed only with --show


class TokenParameter:
    """One token parameter and its key; the clients are created by the caller."""

    def __init__(self, ssm: Any, kms: Any, name: str, key: str) -> None:
        self._ssm = ssm
        self._kms = kms
        self._name = name
        self._key = key

    def create(self) -> Outcome:
        current = self._read()
        if current is None:
            token = new_token()
            self._write(token, overwrite=False)
            return Outcome("created", token)
        if self._key_arn(self._stored_key()) != self._key_arn(self._key):
            self._write(current, overwrite=True)
            return Outcome("re-encrypted", self._lines(current)[0])
        return Outcome("kept", self._lines(current)[0])

    def rotate(self) -> Outcome:
        lines = self._lines(self._require())
        if len(lines) > 1:
            raise TokenError(
                f"{self._name} already holds a current and a previous token: finish that "
                "rotation first (make rotate-token FINISH=1)"
            )
        token = new_token()
        self._write(f"{token}\n{lines[0]}", overwrite=True)
        return Outcome("rotated", token)

    def finish(self) -> Outcome:
        lines = self._lines(self._require())
        if len(lines) == 1:
            return Outcome("kept", lines[0])
        self._write(lines[0], overwrite=True)
        return Outcome("finished", lines[0])

    # --- SSM and KMS ---------------------------------------------------------------------

    def _read(self) -> str | None:
        try:
            found = self._ssm.get_parameter(Name=self._name, WithDecryption=True)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise
        return str(found["Parameter"]["Value"])

    def _require(self) -> str:
        value = self._read()
        if value is None:
            raise TokenError(f"{self._name} does not exist: create it first (make token)")
        return value

    def _lines(self, value: str) -> list[str]:
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        if not lines or len(lines) > 2:
            raise TokenError(
                f"{self._name} holds {len(lines)} token lines (the frontend accepts 1 or 2): "
                "fix it by hand"
            )
        return lines

    def _write(self, value: str, *, overwrite: bool) -> None:
        self._ssm.put_parameter(
            Name=self._name,
            Description=_DESCRIPTION,
            Value=value,
            Type="SecureString",
            KeyId=self._key,
            Tier="Standard",
            Overwrite=overwrite,
        )

    def _stored_key(self) -> str:
        found = self._ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [self._name]}]
        )["Parameters"]
        return str(found[0].get("KeyId", "alias/aws/ssm")) if found else ""

    def _key_arn(self, key: str) -> str:
        """A key id, ARN or alias as the key's ARN; the key itself when KMS does not know it."""
        try:
            return str(self._kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
        except ClientError as error:
            if error.response["Error"]["Code"] == "NotFoundException":
                return key
            raise


def clients(endpoint: str | None) -> tuple[Any, Any]:
    """SSM and KMS clients: AWS from the environment's credentials, or the emulator at `endpoint`
    with its dummy credentials (never the user's)."""
    if endpoint is None:
        return boto3.client("ssm"), boto3.client("kms")
    settings = {
        "endpoint_url": endpoint,
        "region_name": emulator.EMULATOR_ENV["AWS_REGION"],
        "aws_access_key_id": emulator.EMULATOR_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": emulator.EMULATOR_ENV["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": emulator.EMULATOR_ENV["AWS_SESSION_TOKEN"],
    }
    return boto3.client("ssm", **settings), boto3.client("kms", **settings)


COMMANDS: dict[str, Callable[[TokenParameter], Outcome]] = {
    "create": TokenParameter.create,
    "rotate": TokenParameter.rotate,
    "finish": TokenParameter.finish,
}

_SAID = {
    "created": "created {name} (encrypted with {key})",
    "re-encrypted": "re-encrypted {name} with {key} (value unchanged)",
    "kept": "{name} unchanged",
    "rotated": "rotated {name}: the new token and the previous one are accepted; hand out the "
    "new one, then make rotate-token FINISH=1",
    "finished": "finished the rotation of {name}: only the current token is accepted now",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--parameter", required=True, help="the token parameter's name")
    parser.add_argument("--key", required=True, help="the token key: id, ARN or alias")
    parser.add_argument("--endpoint", help="an emulator's URL (its dummy credentials are used)")
    parser.add_argument("--show", action="store_true", help="print the current token on stdout")
    args = parser.parse_args(argv)
    try:
        ssm, kms = clients(args.endpoint)
        outcome = COMMANDS[args.command](TokenParameter(ssm, kms, args.parameter, args.key))
    except TokenError as error:
        _say(f"error: {error}")
        return 1
    except (ClientError, BotoCoreError) as error:
        _say(f"error: AWS refused or failed ({error}); the token was left as it was")
        return 1
    _say(_SAID[outcome.action].format(name=args.parameter, key=args.key))
    if args.show:
        print(outcome.token, flush=True)
    return 0


def _say(line: str) -> None:
    print(f"token: {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
