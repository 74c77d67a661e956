"""The signed token that admits a telephony media stream (``customParameters.token``).

The platform's call webhook (the app that answers the call with TwiML) mints one token per call:

    token = "v1." + expiry + "." + hex(HMAC-SHA256(secret, "v1|" + callSid + "|" + from + "|" + to + "|" + expiry))

with ``expiry`` a Unix time in seconds at most :data:`MAX_TOKEN_TTL_S` ahead, and passes it with the
numbers as ``<Parameter>`` elements of ``<Stream>`` (docs/voice.md; ``muni voice token`` mints one by
hand). The gateway admits the stream only when the signature matches the ``start`` message's
``callSid``, ``from`` and ``to`` (compared in constant time), the token has not expired and it has
not been used before; so nobody without the secret can open a call, pick a caller number or replay
another call's stream.

The secret is ``MUNI_TELEPHONY_SECRET`` (at least :data:`MIN_SECRET_CHARS` characters), else
``var/telephony_secret`` (``MUNI_VAR_DIR`` if set), generated on first use with mode 600.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from muni_core.paths import VAR_DIR

VERSION = "v1"
MAX_TOKEN_TTL_S = 3600
"""A token may be valid at most this long (so a leaked one is soon worthless)."""
MIN_SECRET_CHARS = 16
SECRET_FILE = "telephony_secret"  # noqa: S105 - a file name, not a secret
_TOKEN_PATTERN = re.compile(r"^v1\.([0-9]{1,12})\.([0-9a-f]{64})$")


def sign(secret: str, call_sid: str, caller: str, dialled: str, expires_at: int) -> str:
    """The hex HMAC-SHA256 of one call's stream parameters."""
    message = f"{VERSION}|{call_sid}|{caller}|{dialled}|{expires_at}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def mint_token(secret: str, call_sid: str, caller: str, dialled: str, expires_at: int) -> str:
    """The token for one call (``expires_at``: Unix time in seconds)."""
    if not secret:
        raise ValueError("a stream token needs the telephony secret")
    return f"{VERSION}.{expires_at}.{sign(secret, call_sid, caller, dialled, expires_at)}"


def var_dir() -> Path:
    """Where the generated secret lives: ``MUNI_VAR_DIR``, else ``var/``."""
    return Path(os.environ.get("MUNI_VAR_DIR") or VAR_DIR)


def telephony_secret(configured: str = "", folder: Path | None = None) -> str:
    """The configured secret, else the one in ``var/telephony_secret`` (made, mode 600, when missing).

    A configured secret shorter than :data:`MIN_SECRET_CHARS` characters is an error (a guessable secret
    would let anyone open calls with any caller number).
    """
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise ValueError(f"MUNI_TELEPHONY_SECRET skal være mindst {MIN_SECRET_CHARS} tegn langt")
        return configured
    folder = folder or var_dir()
    path = folder / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secret, encoding="utf-8")
    return secret


class StreamAuth:
    """Checks the token of each media stream's ``start``; remembers used tokens until they expire."""

    def __init__(
        self, secret: str, *, clock: Callable[[], float] = time.time, max_ttl_s: int = MAX_TOKEN_TTL_S
    ) -> None:
        """A checker for one gateway process."""
        if not secret:
            raise ValueError("the media stream needs a telephony secret")
        self._secret = secret
        self._clock = clock
        self.max_ttl_s = max_ttl_s
        self._used: dict[str, int] = {}

    def refusal(self, call_sid: str, caller: str, dialled: str, token: str | None) -> str | None:
        """Why the stream is refused; None = admit it (and remember its call id until the token expires).

        Reasons: "missing", "malformed", "invalid" (forged or for other parameters), "expired",
        "too_long" (valid for more than ``max_ttl_s``), "replayed" (the call id was admitted before).
        """
        if not token:
            return "missing"
        match = _TOKEN_PATTERN.match(token)
        if match is None:
            return "malformed"
        expires_at, signature = int(match.group(1)), match.group(2)
        expected = sign(self._secret, call_sid, caller, dialled, expires_at)
        if not hmac.compare_digest(expected, signature):
            return "invalid"
        now = self._clock()
        if expires_at < now:
            return "expired"
        if expires_at > now + self.max_ttl_s:
            return "too_long"
        self._used = {sid: until for sid, until in self._used.items() if until >= now}
        if call_sid in self._used:
            return "replayed"
        self._used[call_sid] = expires_at
        return None
