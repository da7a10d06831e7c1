"""The one message the child sends the parent: its verdicts, signed.

The bundle is one line, ``<hex HMAC-SHA256> <JSON>``, written by the child's supervisor
to a pipe the parent passed with ``pass_fds``. The key is 32 random bytes the parent writes
to the child's stdin and closes; see :mod:`graders.grading.supervisor` for why the key is still
sitting unread in that pipe while student code runs, and :mod:`graders.grading.sandbox`
for what the parent accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

KEY_BYTES = 32
#: Largest bundle the parent reads; a longer one is not a bundle the child wrote.
MAX_BUNDLE = 8 * 1024 * 1024


class ChannelError(Exception):
    """The bytes on the result channel are not one bundle signed with our key."""


def sign(key: bytes, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    return mac + b" " + body + b"\n"


def verify(key: bytes, data: bytes) -> dict[str, Any]:
    """The payload of ``data``, which must be exactly one line signed with ``key``."""
    if len(data) > MAX_BUNDLE:
        raise ChannelError("the result is larger than any the grader writes")
    if not data:
        raise ChannelError("the grading process sent no result")
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise ChannelError("the result channel carried more than the grader's one message")
    mac, _, body = data[:-1].partition(b" ")
    expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, expected):
        raise ChannelError("the result on the channel is not signed with this run's key")
    try:
        payload = json.loads(body)
    except ValueError:
        raise ChannelError("the signed result is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ChannelError("the signed result is not an object")
    return payload
