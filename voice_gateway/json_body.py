"""The one way the gateway reads a JSON request body: JSON content type, bounded size and depth, Danish errors.

Every JSON endpoint (``/api/chat``, ``/api/session``, ``/api/rating``, ``/api/tts``) reads its body with
:func:`read_json`. It refuses, before parsing:

* a body that is not sent as ``Content-Type: application/json`` (415): a cross-site HTML form can only send
  ``text/plain``, form or multipart bodies, so a page elsewhere cannot post into the chat blind;
* a body over ``max_bytes`` (413);
* JSON nested deeper than ``max_depth`` arrays/objects (400): a 1,000-deep body would otherwise reach
  Python's recursion limit and end in a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from voice_gateway.settings import MAX_BODY_BYTES

MAX_JSON_DEPTH = 16
"""No request of the widget is more than 2 levels deep; 16 leaves room and is far from the recursion limit."""
JSON_CONTENT_TYPE = "application/json"
_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_END = re.compile(r'["\\]')

NOT_JSON_TYPE_ERROR = "Forespørgslen skal sendes som JSON (Content-Type: application/json)."
TOO_LARGE_ERROR = "Forespørgslen er for stor (højst {kb} KB)."
NOT_JSON_ERROR = "Forespørgslen skal være JSON."
TOO_DEEP_ERROR = "Forespørgslen er for dybt indlejret (højst {depth} niveauer)."
NOT_OBJECT_ERROR = "Forespørgslen skal være et JSON-objekt."


class JsonBodyError(ValueError):
    """A body the gateway refuses; ``status`` and a Danish ``text`` for the client."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def json_depth(text: str, limit: int | None = None) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count).

    One pass without recursion or backtracking; it stops as soon as the depth passes ``limit``.
    """
    depth = deepest = position = 0
    while found := _STRUCTURE.search(text, position):
        position = found.end()
        mark = found.group(0)
        if mark == '"':
            while (end := _STRING_END.search(text, position)) and end.group(0) == "\\":
                position = end.end() + 1  # skip the escaped character
            if end is None:
                return deepest  # an unterminated string: not JSON, which the parser will say
            position = end.end()
        elif mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if limit is not None and deepest > limit:
                return deepest
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse UTF-8 JSON no deeper than ``max_depth``; ``JsonBodyError`` (400) otherwise."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise JsonBodyError(400, NOT_JSON_ERROR) from error
    if json_depth(text, max_depth) > max_depth:
        raise JsonBodyError(400, TOO_DEEP_ERROR.format(depth=max_depth))
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise JsonBodyError(400, NOT_JSON_ERROR) from error


async def read_json(
    request: web.Request, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the JSON error response (415, 413 or 400, in Danish) to return instead."""
    try:
        return await _read_object(request, max_depth, max_bytes)
    except JsonBodyError as error:
        return web.json_response({"error": error.text}, status=error.status)


async def _read_object(request: web.Request, max_depth: int, max_bytes: int) -> dict[str, Any]:
    if request.content_type != JSON_CONTENT_TYPE:
        raise JsonBodyError(415, NOT_JSON_TYPE_ERROR)
    too_large = JsonBodyError(413, TOO_LARGE_ERROR.format(kb=max(1, max_bytes // 1024)))
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as error:
        raise too_large from error
    if len(raw) > max_bytes:
        raise too_large
    body = parse_json(raw, max_depth)
    if not isinstance(body, dict):
        raise JsonBodyError(400, NOT_OBJECT_ERROR)
    return body
