"""The muni command's clear errors: taken ports, bad configuration, missing environment."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from muni import cli, services
from muni.config import ConfigError, load_config


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MUNI_RASA_PORT", "MUNI_GATEWAY_PORT", "MUNI_ACTIONS_PORT", "MUNI_PROFILE", "MUNI_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config_file = tmp_path / "muni.yml"
    monkeypatch.setenv("MUNI_CONFIG", str(config_file))
    monkeypatch.setenv("MUNI_RASA_TOKEN", "test-token")
    return config_file


def test_taken_gateway_port_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = cli.main(["--gateway-port", str(port), "up"])
    assert code == 2
    assert f"Port {port} er optaget" in capsys.readouterr().err


def test_taken_rasa_port_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(services.ServiceError, match="er optaget, så Rasa-serveren kan ikke starte"):
            services.ensure_port_free("127.0.0.1", busy.getsockname()[1], "Rasa-serveren")


def test_missing_rasa_environment_is_reported(monkeypatch, capsys) -> None:
    monkeypatch.setattr(services, "RASA_BIN", Path("/nonexistent/.venv-rasa/bin/rasa"))
    assert cli.main(["train"]) == 2
    assert "Rasa-miljøet mangler" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MUNI_RASA_PORT": "abc"}, "rasa_port skal være et heltal"),
        ({"MUNI_GATEWAY_PORT": "70000"}, "mellem 1 og 65535"),
        ({"MUNI_PROFILE": "cloud"}, "profile skal være en af"),
        ({"MUNI_CONSOLE_SECURE_COOKIES": "maybe"}, "console_secure_cookies skal være true eller false"),
        ({"MUNI_CONSOLE_IDLE_MINUTES": "0"}, "console_idle_minutes skal ligge mellem 1 og 720"),
        ({"MUNI_CONSOLE_IDLE_MINUTES": "halv"}, "console_idle_minutes skal være et heltal"),
    ],
)
def test_bad_settings_are_reported(monkeypatch, env, message) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_console_settings_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("MUNI_CONSOLE_SECURE_COOKIES", "false")
    monkeypatch.setenv("MUNI_CONSOLE_IDLE_MINUTES", "15")
    config = load_config()
    assert config.console_secure_cookies is False and config.console_idle_minutes == 15


def test_config_file_is_read_and_checked(isolated_config: Path) -> None:
    isolated_config.write_text("gateway_port: 9123\ndefault_municipality: aarhus\n", encoding="utf-8")
    config = load_config()
    assert config.gateway_port == 9123
    assert config.default_municipality == "aarhus"
    assert config.rasa_token == "test-token"
    isolated_config.write_text("gateway_prot: 9123\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ukendte nøgler"):
        load_config()
    isolated_config.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nøgle: værdi"):
        load_config()


def test_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    from muni.config import stored_token

    first = stored_token(tmp_path)
    assert len(first) >= 32
    assert stored_token(tmp_path) == first
    assert (tmp_path / "rasa_token").stat().st_mode & 0o077 == 0


def test_faq_domain_is_generated_from_content(tmp_path: Path) -> None:
    from muni.faq_domain import sync

    target = tmp_path / "faq.yml"
    assert sync(target=target) is True
    assert sync(target=target) is False
    text = target.read_text(encoding="utf-8")
    assert "utter_faq/pas:" in text and "utter_faq/vielse:" in text


@pytest.mark.parametrize(("intent", "topic", "passes"), [(0.9, 0.95, True), (0.8, 0.95, False), (0.95, 0.7, False)])
def test_nlu_quality_gate(tmp_path: Path, intent: float, topic: float, passes: bool) -> None:
    import json

    (tmp_path / "intent_report.json").write_text(json.dumps({"accuracy": intent, "macro avg": {"f1-score": 0.9}}))
    (tmp_path / "response_selection_report.json").write_text(json.dumps({"accuracy": topic}))
    assert cli.nlu_quality_gate(tmp_path, 0.85) is passes
