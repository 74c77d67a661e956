"""Prometheus metrics of the gateway (``GET /metrics``): calls, turns and per-turn voice latency.

Each application gets its own registry, so several gateways (or tests) in one process do not clash.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


@dataclass
class VoiceMetrics:
    """The gateway's metrics, registered in one registry."""

    registry: CollectorRegistry
    calls_active: Gauge
    calls_total: Counter
    call_errors: Counter
    turns_total: Counter
    turn_stage_seconds: Histogram
    transcripts_rejected: Counter
    frames_dropped: Counter

    @classmethod
    def create(cls) -> VoiceMetrics:
        """A fresh registry with every metric of the gateway."""
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            calls_active=Gauge("muni_voice_calls_active", "Calls in progress", ["channel"], registry=registry),
            calls_total=Counter("muni_voice_calls", "Calls started", ["channel"], registry=registry),
            call_errors=Counter(
                "muni_voice_call_errors", "Errors in calls (by kind)", ["channel", "kind"], registry=registry
            ),
            turns_total=Counter(
                "muni_voice_turns", "Caller turns handled (by outcome)", ["channel", "outcome"], registry=registry
            ),
            turn_stage_seconds=Histogram(
                "muni_voice_turn_seconds",
                "Per-turn latency by stage: stt (end of speech to transcript, incl. the endpointing silence), "
                "dialogue (transcript to reply), "
                "tts_first_audio (reply to first audio byte), voice_to_voice (end of speech to first audio byte)",
                ["channel", "stage"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            transcripts_rejected=Counter(
                "muni_voice_transcripts_rejected",
                "Transcripts not passed on (by reason)",
                ["reason"],
                registry=registry,
            ),
            frames_dropped=Counter(
                "muni_voice_frames_dropped", "Inbound audio frames dropped (by reason)", ["reason"], registry=registry
            ),
        )

    def observe_stage(self, channel: str, stage: str, seconds: float) -> None:
        """Record one latency figure of a turn."""
        self.turn_stage_seconds.labels(channel=channel, stage=stage).observe(seconds)


def metrics_handler(metrics_key: web.AppKey[VoiceMetrics]):
    """An aiohttp handler serving the registry in the Prometheus text format."""

    async def handle_metrics(request: web.Request) -> web.Response:
        body = generate_latest(request.app[metrics_key].registry)
        response = web.Response(body=body)
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response

    return handle_metrics
