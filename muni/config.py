"""Runtime configuration: ports, token, profile. Environment first, then ``muni.yml``.

Every setting has a default so that ``muni up`` works on a fresh checkout.
See docs/configuration.md for the full list.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from muni_core.paths import BOT_DIR, REPO_ROOT, VAR_DIR

PROFILES = {
    "default": BOT_DIR / "endpoints.yml",
    "production": BOT_DIR / "endpoints.production.yml",
}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to change."""


@dataclass(frozen=True)
class MuniConfig:
    """Settings of one installation."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    gateway_port: int = 8080
    rasa_token: str = ""
    profile: str = "default"
    default_municipality: str = ""
    voice: str = "auto"
    """Voice channels: "on", "off", or "auto" (on when the speech model is installed)."""
    stt_model_dir: str = ""
    stt_workers: int = 1
    tts_voice: str = ""
    audiosocket_port: int = 0
    voice_handoff_hook_url: str = ""
    widget_origins: str = "*"
    """Comma-separated origins (https://www.kommune.dk) allowed to use the chat widget's API; * = any."""
    retention_days: int = 90
    """Conversations untouched this many days are deleted by `muni purge`."""
    console_secure_cookies: bool = True
    """The staff console's session cookie is sent over HTTPS only (and on localhost); false only for tests."""
    console_idle_minutes: int = 30
    """Staff are logged out of the console after this many minutes without activity."""

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server (HTTP API and REST channel)."""
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        """Webhook URL of the action server."""
        return f"http://{self.host}:{self.actions_port}/webhook"

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway (web chat)."""
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def endpoints_file(self) -> Path:
        """The Rasa endpoints file of the chosen profile."""
        return PROFILES[self.profile]


def _config_file() -> Path:
    return Path(os.environ.get("MUNI_CONFIG", REPO_ROOT / "muni.yml"))


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} er ikke gyldig YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} skal indeholde nøgle: værdi")
    return raw


def stored_token(var_dir: Path = VAR_DIR) -> str:
    """The token generated on first start (var/rasa_token, mode 600)."""
    path = var_dir / "rasa_token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token, encoding="utf-8")
    return token


def load_config(**overrides: Any) -> MuniConfig:
    """Merge defaults, ``muni.yml``, MUNI_* environment variables and explicit overrides."""
    values: dict[str, Any] = dict(_read_file(_config_file()))
    env_names = {
        "host": "MUNI_HOST",
        "rasa_port": "MUNI_RASA_PORT",
        "actions_port": "MUNI_ACTIONS_PORT",
        "gateway_port": "MUNI_GATEWAY_PORT",
        "rasa_token": "MUNI_RASA_TOKEN",
        "profile": "MUNI_PROFILE",
        "default_municipality": "MUNI_DEFAULT_MUNICIPALITY",
        "voice": "MUNI_VOICE",
        "stt_model_dir": "MUNI_STT_MODEL_DIR",
        "stt_workers": "MUNI_STT_WORKERS",
        "tts_voice": "MUNI_TTS_VOICE",
        "audiosocket_port": "MUNI_AUDIOSOCKET_PORT",
        "voice_handoff_hook_url": "MUNI_VOICE_HANDOFF_HOOK_URL",
        "widget_origins": "MUNI_WIDGET_ORIGINS",
        "retention_days": "MUNI_RETENTION_DAYS",
        "console_secure_cookies": "MUNI_CONSOLE_SECURE_COOKIES",
        "console_idle_minutes": "MUNI_CONSOLE_IDLE_MINUTES",
    }
    for key, env_name in env_names.items():
        if os.environ.get(env_name):
            values[key] = os.environ[env_name]
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - set(env_names)
    if unknown:
        raise ConfigError(f"ukendte nøgler i konfigurationen: {', '.join(sorted(unknown))}")
    if "console_secure_cookies" in values and not isinstance(values["console_secure_cookies"], bool):
        text = str(values["console_secure_cookies"]).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no", "ja", "nej"):
            raise ConfigError("console_secure_cookies skal være true eller false")
        values["console_secure_cookies"] = text in ("true", "1", "yes", "ja")
    for key in (
        "rasa_port",
        "actions_port",
        "gateway_port",
        "audiosocket_port",
        "stt_workers",
        "retention_days",
        "console_idle_minutes",
    ):
        if key in values:
            try:
                values[key] = int(values[key])
            except (TypeError, ValueError) as error:
                raise ConfigError(f"{key} skal være et heltal, ikke '{values[key]}'") from error
            if key == "stt_workers" and not 1 <= values[key] <= 16:
                raise ConfigError("stt_workers skal ligge mellem 1 og 16")
            if key == "retention_days" and not 1 <= values[key] <= 3650:
                raise ConfigError("retention_days skal ligge mellem 1 og 3650")
            if key == "console_idle_minutes" and not 1 <= values[key] <= 720:
                raise ConfigError("console_idle_minutes skal ligge mellem 1 og 720")
            low = 0 if key == "audiosocket_port" else 1
            if key.endswith("_port") and not low <= values[key] < 65536:
                raise ConfigError(f"{key} skal ligge mellem {low} og 65535")
    if values.get("profile", "default") not in PROFILES:
        raise ConfigError(f"profile skal være en af: {', '.join(PROFILES)}")
    if str(values.get("voice", "auto")) not in ("on", "off", "auto"):
        raise ConfigError("voice skal være on, off eller auto")
    if not values.get("rasa_token"):
        values["rasa_token"] = stored_token()
    for key in (
        "host",
        "rasa_token",
        "profile",
        "default_municipality",
        "voice",
        "stt_model_dir",
        "tts_voice",
        "voice_handoff_hook_url",
        "widget_origins",
    ):
        if key in values:
            values[key] = str(values[key])
    return MuniConfig(**values)
