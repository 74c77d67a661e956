"""``muni bench nlu``: runs ``bench.nlu_eval`` inside the Rasa environment."""

from __future__ import annotations

import argparse
import subprocess

from muni import faq_domain
from muni.config import MuniConfig
from muni.services import rasa_env, require_rasa_env
from muni_core.paths import BOT_DIR, RASA_PYTHON, REPO_ROOT


def run_nlu_bench(args: argparse.Namespace, config: MuniConfig) -> int:
    """Train on a split (or k folds), report accuracy, macro-F1 and /model/parse latency."""
    require_rasa_env()
    faq_domain.sync()
    configs = args.config or [str(BOT_DIR / "config.yml")]
    command = [str(RASA_PYTHON), "-m", "bench.nlu_eval", "--folds", str(args.folds),
               "--test-fraction", str(args.test_fraction), "--seed", str(args.seed),
               "--latency-requests", str(args.latency_requests)]  # fmt: skip
    for path in configs:
        command += ["--config", path]
    return subprocess.call(command, cwd=REPO_ROOT, env=rasa_env(config))  # noqa: S603
