"""NLU benchmark: train on a split (or k folds), report accuracy, macro-F1 and parse latency.

Labels are the intents, with the FAQ retrieval intent resolved to ``faq/<topic>``
(the response selector's choice), so a wrong FAQ topic counts as an error.
A message that ends in ``nlu_fallback`` counts as a miss.

Run through ``muni bench nlu`` (see README); writes reports/nlu-bench-*.{json,csv}.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from muni_core.paths import REPO_ROOT


def load_examples(paths: list[Path]) -> tuple[list[Any], Any]:
    """All labelled NLU examples and the training data (for synonyms, regexes)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData().merge(*[load_data(str(p)) for p in paths])
    return [m for m in data.intent_examples], data


def label_of(message: Any) -> str:
    """The gold label of a training message: intent or faq/<topic>."""
    return message.get("intent_response_key") or message.get("intent")


def predicted_label(parse: dict[str, Any]) -> str:
    """The label the model chose for a parsed message."""
    intent = (parse.get("intent") or {}).get("name") or "none"
    if intent == "faq":
        response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return response.get("intent_response_key") or "faq"
    return intent


def stratified_folds(examples: list[Any], folds: int, test_fraction: float, seed: int) -> list[tuple[list, list]]:
    """(train, test) pairs: one split when folds == 1, else k folds, each stratified by label."""
    by_label: dict[str, list[Any]] = defaultdict(list)
    for example in examples:
        by_label[label_of(example)].append(example)
    rng = random.Random(seed)
    for items in by_label.values():
        rng.shuffle(items)
    if folds == 1:
        train, test = [], []
        for items in by_label.values():
            cut = max(1, round(len(items) * test_fraction))
            test.extend(items[:cut])
            train.extend(items[cut:])
        return [(train, test)]
    splits = []
    for fold in range(folds):
        train, test = [], []
        for items in by_label.values():
            for index, item in enumerate(items):
                (test if index % folds == fold else train).append(item)
        splits.append((train, test))
    return splits


def train_model(config: Path, train_examples: list[Any], base_data: Any, workdir: Path) -> Path:
    """Train an NLU model on ``train_examples`` (plus synonyms etc. of the full data)."""
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData(
        training_examples=train_examples,
        entity_synonyms=base_data.entity_synonyms,
        regex_features=base_data.regex_features,
        lookup_tables=base_data.lookup_tables,
        responses=base_data.responses,
    )
    nlu_file = workdir / "train.yml"
    nlu_file.write_text(data.nlu_as_yaml(), encoding="utf-8")
    model = train_nlu(str(config), str(nlu_file), str(workdir / "model"), domain=str(REPO_ROOT / "bot" / "domain"))
    return Path(model)


def evaluate(model_path: Path, examples: list[Any]) -> tuple[list[str], list[str]]:
    """Parse every example with the model; return (gold labels, predicted labels)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(m.get("text")) for m in examples]

    parses = asyncio.run(parse_all())
    return [label_of(m) for m in examples], [predicted_label(p) for p in parses]


def metrics(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, fallback rate and per-label precision/recall/F1."""
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    labels = sorted(set(gold))
    report = classification_report(gold, predicted, labels=labels, output_dict=True, zero_division=0)
    return {
        "examples": len(gold),
        "accuracy": accuracy_score(gold, predicted),
        "macro_f1": f1_score(gold, predicted, labels=labels, average="macro", zero_division=0),
        "fallback_rate": sum(p == "nlu_fallback" for p in predicted) / max(1, len(predicted)),
        "per_label": {label: report[label] for label in labels},
    }


def parse_latency(model_path: Path, requests: int, port: int = 5099) -> dict[str, float]:
    """p50/p95 of POST /model/parse against a real Rasa server with the HTTP API."""
    token = "bench-token"  # noqa: S105 - throw-away token of a local benchmark server
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", RASA_TELEMETRY_ENABLED="false")
    server = subprocess.Popen(  # noqa: S603 - our own rasa binary
        [str(Path(sys.executable).parent / "rasa"), "run", "--enable-api", "--auth-token", token,
         "--model", str(model_path), "--port", str(port), "--interface", "127.0.0.1"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("Rasa-serveren til latensmåling startede ikke") from None
                time.sleep(1)
        texts = ["hvordan fornyer jeg mit pas", "hvornår har borgerservice åbent i morgen",
                 "jeg vil tale med en medarbejder", "øh ja hej jeg er flyttet hvad skal jeg gøre"]  # fmt: skip
        timings = []
        for index in range(requests + 5):
            body = json.dumps({"text": texts[index % len(texts)]}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/model/parse?token={token}", data=body,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as reply:
                reply.read()
            if index >= 5:  # warm-up requests are not counted
                timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        return {
            "requests": len(timings),
            "p50_ms": statistics.median(timings),
            "p95_ms": timings[int(0.95 * (len(timings) - 1))],
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def quiet_rasa_logs() -> None:
    """Keep Rasa to warnings: at debug level it logs every parsed text."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def main() -> int:
    """Entry point: python -m bench.nlu_eval --config bot/config.yml ..."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", action="append", required=True)
    parser.add_argument("--folds", type=int, default=1)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-requests", type=int, default=200)
    parser.add_argument("--heldout", default=str(REPO_ROOT / "tests" / "nlu" / "heldout_da.yml"))
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    args = parser.parse_args()
    quiet_rasa_logs()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nlu_files = sorted((REPO_ROOT / "nlu_data").glob("*.yml"))
    examples, base_data = load_examples(nlu_files)
    heldout = load_examples([Path(args.heldout)])[0] if Path(args.heldout).exists() else []
    summary: dict[str, Any] = {}
    for config in args.config:
        config_path = Path(config).resolve()
        name = config_path.stem if config_path.stem != "config" else "bot-config"
        gold_all: list[str] = []
        predicted_all: list[str] = []
        heldout_gold: list[str] = []
        heldout_predicted: list[str] = []
        fold_scores = []
        model_for_latency = None
        train_seconds = []
        for fold, (train, test) in enumerate(stratified_folds(examples, args.folds, args.test_fraction, args.seed)):
            workdir = Path(tempfile.mkdtemp(prefix=f"muni-bench-{name}-{fold}-"))
            started = time.perf_counter()
            model = train_model(config_path, train, base_data, workdir)
            train_seconds.append(time.perf_counter() - started)
            gold, predicted = evaluate(model, test)
            fold_scores.append(metrics(gold, predicted)["accuracy"])
            gold_all += gold
            predicted_all += predicted
            if heldout:
                g, p = evaluate(model, heldout)
                heldout_gold += g
                heldout_predicted += p
            model_for_latency = model
            print(f"[{name}] fold {fold + 1}: accuracy {fold_scores[-1]:.3f} ({len(test)} examples, "
                  f"trained in {train_seconds[-1]:.0f} s)", flush=True)  # fmt: skip
        result = metrics(gold_all, predicted_all)
        result["fold_accuracies"] = fold_scores
        result["folds"] = args.folds
        result["train_seconds_mean"] = statistics.mean(train_seconds)
        result["train_examples"] = len(examples) - len(gold_all) // max(1, args.folds) if args.folds > 1 else None
        if heldout:
            result["heldout_file"] = metrics(heldout_gold, heldout_predicted)
        if args.latency_requests and model_for_latency:
            result["parse_latency"] = parse_latency(model_for_latency, args.latency_requests)
        summary[name] = result
        with (out / f"nlu-bench-{name}-per-label.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "precision", "recall", "f1", "support"])
            for label, row in result["per_label"].items():
                writer.writerow([label, f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                                 f"{row['f1-score']:.3f}", int(row["support"])])  # fmt: skip
    (out / "nlu-bench-summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print("\nconfig                 split             accuracy  macro-F1  fallback  held-out acc  parse p50/p95 ms")
    for name, result in summary.items():
        split = f"{args.folds}-fold CV" if args.folds > 1 else f"{int(args.test_fraction * 100)}% hold-out"
        held = result.get("heldout_file", {}).get("accuracy")
        held_text = "-" if held is None else f"{held:.3f}"
        latency = result.get("parse_latency")
        latency_text = "-" if not latency else f"{latency['p50_ms']:.0f} / {latency['p95_ms']:.0f}"
        print(f"{name:<22} {split:<17} {result['accuracy']:.3f}     {result['macro_f1']:.3f}     "
              f"{result['fallback_rate']:.3f}     {held_text:<12}  {latency_text}")  # fmt: skip
    print(f"\nPer-label figures: {out}/nlu-bench-<config>-per-label.csv; all figures: {out}/nlu-bench-summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
