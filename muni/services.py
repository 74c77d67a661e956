"""Start, watch and stop the assistant's processes: action server and Rasa server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from muni import faq_domain
from muni.config import MuniConfig
from muni_core.paths import BOT_DIR, CONTENT_DIR, MODELS_DIR, NLU_DIR, RASA_BIN, REPO_ROOT, VAR_DIR

RASA_START_TIMEOUT_S = 240
ACTIONS_START_TIMEOUT_S = 60


class ServiceError(RuntimeError):
    """A service cannot start; the message says why and what to do."""


def require_rasa_env() -> None:
    """Fail clearly when the Rasa environment has not been installed."""
    if not RASA_BIN.exists():
        raise ServiceError(f"Rasa-miljøet mangler ({RASA_BIN.parent.parent}). Kør 'make install' først.")


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Raise a clear error when the port for ``what`` is taken."""
    if port_in_use(host, port):
        raise ServiceError(
            f"Port {port} på {host} er optaget, så {what} kan ikke starte. Stop det program, der "
            f"bruger porten, eller vælg en anden port (se docs/configuration.md)."
        )


def latest_model(models_dir: Path = MODELS_DIR) -> Path | None:
    """The newest trained Rasa model in ``models/``, if any."""
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def rasa_data_args() -> list[str]:
    """The domain/data/config arguments every Rasa command of this project takes."""
    return [
        "--domain", str(BOT_DIR / "domain"),
        "--data", str(BOT_DIR / "data"), str(NLU_DIR),
        "--config", str(BOT_DIR / "config.yml"),
    ]  # fmt: skip


def rasa_env(config: MuniConfig | None = None) -> dict[str, str]:
    """Environment for Rasa subprocesses: quiet TensorFlow, no telemetry, our settings."""
    env = dict(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "MUNI_CONTENT_DIR": str(CONTENT_DIR),
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    if config:
        env["MUNI_ACTIONS_URL"] = config.actions_url
        env["MUNI_RASA_TOKEN"] = config.rasa_token  # the REST channel trusts the gateway's messages by it
        env["SANIC_HOST"] = config.host  # the action server's listen address (rasa-sdk reads it)
        if config.default_municipality:
            env["MUNI_DEFAULT_MUNICIPALITY"] = config.default_municipality
    return env


def run_rasa(args: list[str], config: MuniConfig | None = None) -> int:
    """Run a Rasa command in the Rasa environment from the repository root."""
    require_rasa_env()
    faq_domain.sync()
    return subprocess.call([str(RASA_BIN), *args], cwd=REPO_ROOT, env=rasa_env(config))  # noqa: S603 - our rasa binary


def train(force: bool = False) -> Path:
    """Train a model (Rasa skips training when nothing changed, unless ``force``)."""
    MODELS_DIR.mkdir(exist_ok=True)
    args = ["train", *rasa_data_args(), "--out", str(MODELS_DIR)]
    if force:
        args.append("--force")
    if run_rasa(args) != 0:
        raise ServiceError("Træningen mislykkedes; se fejlen ovenfor.")
    model = latest_model()
    if model is None:
        raise ServiceError("Træningen gav ingen model i models/.")
    return model


def _wait_for(url: str, timeout_s: float, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"{what} stoppede under opstart (exit {process.returncode}); se loggen ovenfor.")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise ServiceError(f"{what} svarede ikke på {url} inden for {timeout_s:.0f} s.")


@dataclass
class Stack:
    """The running action server and Rasa server of one ``muni up``."""

    config: MuniConfig
    endpoints_file: Path | None = None
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, model: Path) -> None:
        """Start the action server, then Rasa with the HTTP API enabled and token-protected."""
        require_rasa_env()
        ensure_port_free(self.config.host, self.config.actions_port, "action-serveren")
        ensure_port_free(self.config.host, self.config.rasa_port, "Rasa-serveren")
        # var/ holds the tracker database, the data key and the token: readable by this user only.
        VAR_DIR.mkdir(mode=0o700, exist_ok=True)
        VAR_DIR.chmod(0o700)
        env = rasa_env(self.config)
        actions = subprocess.Popen(  # noqa: S603 - fixed argument list
            [str(RASA_BIN), "run", "actions", "--actions", "actions", "--port", str(self.config.actions_port)],
            cwd=REPO_ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        self.processes.append(("action-serveren", actions))
        rasa = subprocess.Popen(  # noqa: S603 - fixed argument list
            [
                str(RASA_BIN), "run", "--enable-api", "--auth-token", self.config.rasa_token,
                "--model", str(model), "--port", str(self.config.rasa_port),
                "--interface", self.config.host,
                "--endpoints", str(self.endpoints_file or self.config.endpoints_file),
                "--credentials", str(BOT_DIR / "credentials.yml"),
            ],
            cwd=REPO_ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        self.processes.append(("Rasa-serveren", rasa))
        _wait_for(f"http://{self.config.host}:{self.config.actions_port}/health", ACTIONS_START_TIMEOUT_S,
                  actions, "Action-serveren")  # fmt: skip
        _wait_for(f"{self.config.rasa_url}/", RASA_START_TIMEOUT_S, rasa, "Rasa-serveren")

    def failed(self) -> str | None:
        """Name of a process that has exited, if any."""
        for name, process in self.processes:
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 10 s)."""
        for _, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()


def eprint(*parts: object) -> None:
    """Print to stderr (messages for the operator)."""
    print(*parts, file=sys.stderr, flush=True)
