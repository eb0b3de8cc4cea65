"""Save and restore the whole state of a moto server process (its backends) to a file.

Used inside the server (devstack/moto_server.py serves it over HTTP) so that `make down` can
keep the twin's emulator and the next `make up` can bring it back without applying again.

moto keeps every resource in Python objects: per service a `BackendDict` (a module global,
listed in `BackendDict._instances` once used) of account -> region -> backend. A snapshot is
one pickle of every used BackendDict's contents, plus the devstack fixes' own state. Two rules
make it restorable:

- the BackendDicts themselves are pickled by reference (module and attribute), so an
  object that points at one (a backend looking up another service) points at the live one after
  the restore, and the restore replaces their contents in place;
- what cannot be pickled is rebuilt: keys and certificates (KMS keys hold `cryptography`
  objects) from their PEM encoding; locks, conditions and events are created anew (no request
  runs while a snapshot is taken or restored: the backend lock is held); a backend is restored
  into a freshly constructed one of its class, so the defaultdicts it builds with local lambdas
  (which pickle cannot name) keep their factory and get the saved items.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock

FORMAT = 1
# Rebuilt new and unheld: (type -> constructor).
_SYNCHRONISATION = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
    threading.Event: threading.Event,
}


class StateError(RuntimeError):
    """A snapshot could not be written or read; the message says which and why."""


def _live_backends() -> dict[str, BackendDict[Any]]:
    """Every BackendDict of the moto modules imported so far, by "module:attribute" (the
    shortest module that holds it: the package that exports it)."""
    found: dict[str, BackendDict[Any]] = {}
    seen: set[int] = set()
    moto_modules = [name for name in sys.modules if name.startswith("moto.")]
    for module_name in sorted(moto_modules, key=lambda name: (name.count("."), name)):
        for attribute, value in list(vars(sys.modules[module_name]).items()):
            if isinstance(value, BackendDict) and id(value) not in seen:
                seen.add(id(value))
                found[f"{module_name}:{attribute}"] = value
    return found


def _backend(name: str) -> BackendDict[Any]:
    module_name, _, attribute = name.partition(":")
    backends = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(backends, BackendDict):
        raise StateError(f"{name} is not a moto BackendDict")
    return backends


def _private_key(pem: bytes) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem, password=None)


def _public_key(pem: bytes) -> PublicKeyTypes:
    return serialization.load_pem_public_key(pem)


def _reduce_crypto(obj: Any) -> Any:
    """Keys and certificates as PEM, or NotImplemented for anything else."""
    if isinstance(obj, PrivateKeyTypes):
        pem = obj.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return _private_key, (pem,)
    if isinstance(obj, PublicKeyTypes):
        pem = obj.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _public_key, (pem,)
    if isinstance(obj, x509.Certificate):
        return x509.load_pem_x509_certificate, (obj.public_bytes(serialization.Encoding.PEM),)
    return NotImplemented


def _unnamed(factory: Any) -> bool:
    qualname = str(getattr(factory, "__qualname__", ""))
    return "<lambda>" in qualname or "<locals>" in qualname


def _fresh_backend(cls: type[BaseBackend], region_name: str, account_id: str) -> BaseBackend:
    return cls(region_name, account_id)


def _new_defaultdict(cls: type[defaultdict[Any, Any]], factory: Any) -> defaultdict[Any, Any]:
    """A defaultdict subclass without calling its own __init__ (which may take other
    arguments: the pickled attributes and items follow)."""
    new = cls.__new__(cls)
    defaultdict.__init__(new, factory)
    return new


def _merge_backend_state(backend: BaseBackend, state: dict[str, Any]) -> None:
    for name, value in state.items():
        current = backend.__dict__.get(name)
        if isinstance(current, defaultdict) and type(value) is dict:
            current.clear()
            current.update(value)
        else:
            backend.__dict__[name] = value


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BufferedWriter | io.BytesIO, names: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._names = names

    def persistent_id(self, obj: Any) -> str | None:
        return self._names.get(id(obj)) if isinstance(obj, BackendDict) else None

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _SYNCHRONISATION:
            return _SYNCHRONISATION[type(obj)], ()
        if isinstance(obj, defaultdict) and _unnamed(obj.default_factory):
            return dict, (), None, None, iter(obj.items())
        if isinstance(obj, defaultdict) and type(obj) is not defaultdict:
            args = (type(obj), obj.default_factory)
            return _new_defaultdict, args, dict(vars(obj)) or None, None, iter(obj.items())
        if isinstance(obj, BaseBackend):
            args = (type(obj), obj.region_name, obj.account_id)
            return _fresh_backend, args, dict(vars(obj)), None, None, _merge_backend_state
        return _reduce_crypto(obj)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> BackendDict[Any]:
        return _backend(str(pid))


def save(path: Path, extra: dict[str, Any]) -> int:
    """Write every used backend and `extra` (module-level state of the fixes) to `path`.

    Returns the number of services saved. Written to a temporary file first: a failed save
    never leaves a truncated snapshot under the final name.
    """
    with backend_lock:
        live = _live_backends()
        used = {name: backends for name, backends in live.items() if len(backends)}
        names = {id(backends): name for name, backends in live.items()}
        payload = {
            "format": FORMAT,
            "services": {name: dict(backends) for name, backends in used.items()},
            "extra": extra,
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as file:
                _Pickler(file, names).dump(payload)
            temporary.replace(path)
        except (pickle.PicklingError, TypeError, AttributeError, RuntimeError, OSError) as error:
            temporary.unlink(missing_ok=True)
            where = "; ".join(_unpicklable(used, names)) or "no single attribute"
            raise StateError(f"cannot save the emulator's state: {error} (in: {where})") from error
    return len(used)


def _unpicklable(used: dict[str, BackendDict[Any]], names: dict[int, str]) -> list[str]:
    """Where a save failed: each backend attribute that does not pickle on its own."""
    failed = []
    for name, backends in used.items():
        for account, regions in backends.items():
            for region, backend in regions.items():
                for attribute, value in vars(backend).items():
                    try:
                        _Pickler(io.BytesIO(), names).dump(value)
                    except (pickle.PicklingError, TypeError, AttributeError) as error:
                        failed.append(f"{name}[{account}][{region}].{attribute}: {error}")
    return failed


def load(path: Path) -> tuple[int, dict[str, Any]]:
    """Replace every backend's contents with the snapshot's; returns (services, extra)."""
    with backend_lock:
        try:
            with open(path, "rb") as file:
                payload = _Unpickler(file).load()
        except (OSError, pickle.UnpicklingError, EOFError, ImportError, AttributeError) as error:
            raise StateError(f"cannot read the snapshot {path.name}: {error}") from error
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise StateError(f"{path.name} is not a snapshot of this format ({FORMAT})")
        for backends in _live_backends().values():
            backends.clear()
        for name, contents in payload["services"].items():
            backends = _backend(name)
            backends.update(contents)
            if backends not in BackendDict._instances:
                BackendDict._instances.append(backends)
    return len(payload["services"]), dict(payload["extra"])
