"""Stored results that ``--resume`` may trust: each carries a MAC keyed by an instructor file.

``--resume`` reuses ``OUT/results/<id>.json`` instead of grading again, so whoever can write
that folder (a course's shared drive, a teaching assistant's script, a process gone astray)
could otherwise hand in a grade. Every stored result is sealed with HMAC-SHA256 over its
canonical JSON, with a 32-byte key kept in a file only the instructor's account can read:
``$GRADERS_RESULTS_KEY`` if set, else ``$XDG_CONFIG_HOME/concurrency-kit/results.key``
(``~/.config/...``), created with mode 0600 on first use. A result whose seal is missing or
wrong is not reused: it is graded again, and the run says so. The grading sandbox never sees
the key (its filesystem view holds no home folder), and the seal is not a signature anyone
else can check: it only keeps the instructor's own stored results honest.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

FIELD = "seal"
KEY_BYTES = 32


def key_path() -> Path:
    explicit = os.environ.get("GRADERS_RESULTS_KEY", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "concurrency-kit" / "results.key"


def load_key() -> bytes:
    """The instructor's key, made (mode 0600) the first time."""
    path = key_path()
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        if len(data) >= KEY_BYTES:
            return data[:KEY_BYTES]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:                 # made meanwhile by another grader
        return path.read_bytes()[:KEY_BYTES]
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def _mac(key: bytes, data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return "hmac-sha256:" + hmac.new(key, text, hashlib.sha256).hexdigest()


def seal(data: dict[str, Any], key: bytes) -> dict[str, Any]:
    """``data`` with its seal."""
    return {**data, FIELD: _mac(key, data)}


def intact(data: dict[str, Any], key: bytes) -> bool:
    """Whether ``data`` carries the seal this key gives it."""
    found = data.get(FIELD)
    return isinstance(found, str) and hmac.compare_digest(found, _mac(key, data))
