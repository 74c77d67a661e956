"""Settings of the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_gateway.voice_settings import VoiceSettings, env_list

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class GatewaySettings:
    """Where Rasa is and how much the gateway accepts."""

    rasa_url: str = "http://127.0.0.1:5005"
    default_municipality: str = ""
    rasa_timeout_s: float = 30.0
    max_message_chars: int = MAX_MESSAGE_CHARS
    rasa_token: str = ""
    """Token of Rasa's HTTP API (the widget's rating is stored through it); also the gateway's credential
    at Rasa's REST channel (header X-Muni-Gateway) and the key that hashes citizens' addresses."""
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: env_list("MUNI_TRUSTED_PROXIES", ()))
    """Reverse proxies (IP addresses or networks) whose X-Forwarded-For is believed; none by default."""
    widget_origins: tuple[str, ...] = ("*",)
    """Web sites (origins) allowed to call /api/* from the widget; "*" = any."""
    widget_secret: str = ""
    """Secret of the web conversations' session tokens (at least 32 characters); empty = ``MUNI_WIDGET_SECRET``,
    else ``var/widget_secret`` (made on first start). See ``voice_gateway.chat_session``."""
    voice: VoiceSettings | None = None
    """Voice channels (telephony, AudioSocket, browser voice); None = text only."""
    database_url: str = ""
    """SQLAlchemy URL of the tracker database: the staff console (/console) reads it and phone turns'
    latency is stored in it; empty = no console."""
    console_secure_cookies: bool = True
    """Mark the console's session cookie Secure (HTTPS only; browsers also accept it on localhost)."""
    console_idle_minutes: int = 30
    """Staff are logged out after this many minutes without activity."""
