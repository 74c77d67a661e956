"""Who may continue a web conversation: a server-issued conversation id and the session token bound to it.

The gateway makes the conversation id itself (``web-`` + 22 URL-safe characters, 128 random bits) and a
token for it: HMAC-SHA256 of the id under the installation's widget secret. The chat page, the widget and
the kiosk keep both and send both with every later request (``/api/chat``, ``/api/rating``, ``/api/tts``).
Nothing is stored on the server: a token proves that this gateway issued the id. A client-chosen id,
another conversation's id (a phone call's, ``default``, ``..``) or an id with a wrong token is refused.

The secret: ``GatewaySettings.widget_secret``, else ``MUNI_WIDGET_SECRET``, else ``var/widget_secret``
(made on first start, mode 600). Every gateway replica behind one address must share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any

from aiohttp import web

from muni_core.paths import VAR_DIR
from voice_gateway.json_body import read_json

WIDGET_SECRET = web.AppKey("widget_secret", bytes)
SENDER_PATTERN = re.compile(r"^web-[A-Za-z0-9_-]{22}$")
"""Exactly the ids :func:`new_session` makes (also the browser voice channel's ``web-`` form)."""
MIN_SECRET_CHARS = 32

BAD_SENDER_ERROR = "'sender' skal være det samtale-id, som serveren har givet (fx 'web-' efterfulgt af 22 tegn)."
NOT_YOURS_ERROR = "Samtalen kunne ikke genkendes: 'token' passer ikke til 'sender'. Start en ny samtale."
MISSING_SENDER_ERROR = "'sender' og 'token' mangler: send dem, du fik fra /api/chat eller /api/session."
SESSION_ERROR_CODE = "session"
"""``error_code`` of a 403 for a conversation the caller does not hold (the widget then starts a new one)."""


def widget_secret(configured: str = "", var_dir: Path | None = None) -> bytes:
    """The secret that session tokens are made with (see the module docstring for where it comes from)."""
    value = configured.strip() or os.environ.get("MUNI_WIDGET_SECRET", "").strip()
    if value:
        if len(value) < MIN_SECRET_CHARS:
            raise ValueError(f"MUNI_WIDGET_SECRET skal være mindst {MIN_SECRET_CHARS} tegn langt.")
        return value.encode("utf-8")
    path = (var_dir or Path(os.environ.get("MUNI_VAR_DIR", VAR_DIR))) / "widget_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it meanwhile
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(32))
    stored = path.read_text(encoding="utf-8").strip()
    if len(stored) < MIN_SECRET_CHARS:
        raise ValueError(f"{path} skal indeholde mindst {MIN_SECRET_CHARS} tegn (slet filen, så laves en ny).")
    return stored.encode("utf-8")


def token_for(secret: bytes, sender: str) -> str:
    """The session token of a conversation id."""
    digest = hmac.new(secret, b"muni-web-conversation:" + sender.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_session(secret: bytes) -> tuple[str, str]:
    """A fresh, unguessable conversation id and its token."""
    sender = "web-" + secrets.token_urlsafe(16)
    return sender, token_for(secret, sender)


def session_error(secret: bytes, sender: Any, token: Any) -> tuple[int, str] | None:
    """Why ``sender``/``token`` do not name a conversation the caller holds (status, Danish text); None if they do."""
    if sender is None or sender == "":
        return 400, MISSING_SENDER_ERROR
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        return 400, BAD_SENDER_ERROR
    if not isinstance(token, str) or not hmac.compare_digest(token.encode("utf-8"), token_for(secret, sender).encode()):
        return 403, NOT_YOURS_ERROR
    return None


def session_refusal(status: int, text: str) -> web.Response:
    """The JSON error for a refused conversation (403s carry ``error_code: "session"``)."""
    body = {"error": text}
    if status == 403:
        body["error_code"] = SESSION_ERROR_CODE
    return web.json_response(body, status=status)


def checked_sender(request: web.Request, body: dict[str, Any]) -> str | web.Response:
    """The body's ``sender`` if its ``token`` matches, else the error response to return."""
    sender = body.get("sender")
    error = session_error(request.app[WIDGET_SECRET], sender, body.get("token"))
    if error is not None:
        return session_refusal(*error)
    return str(sender)


async def issue_session(request: web.Request) -> web.Response:
    """``POST /api/session`` (``{}``): a new conversation id and token, e.g. before the first spoken turn."""
    body = await read_json(request, max_bytes=4 * 1024)
    if isinstance(body, web.Response):
        return body
    sender, token = new_session(request.app[WIDGET_SECRET])
    return web.json_response({"sender": sender, "token": token}, headers={"Cache-Control": "no-store"})
