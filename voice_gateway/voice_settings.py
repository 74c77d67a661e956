"""Settings of the voice channels: engines, endpointing, call behaviour and the spoken prompts.

Every value has a default; ``muni.yml`` (section ``voice:``) and MUNI_VOICE_* environment variables
override them (docs/voice.md lists them all). The telephony trust settings are read from the environment
when the settings are made: ``MUNI_TELEPHONY_SECRET``, ``MUNI_AUDIOSOCKET_ALLOW``, ``MUNI_VOICE_START_TIMEOUT_S``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from voice_gateway.speech.vad import VadSettings

LOOPBACK = ("127.0.0.0/8", "::1/128")
DEFAULT_START_TIMEOUT_S = 10.0


def env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated environment variable as a tuple (``default`` when unset or empty)."""
    items = tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())
    return items or default


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (``default`` when unset; an error when malformed)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} skal være et antal sekunder, ikke '{raw}'") from error
    if not 0 < value <= 3600:
        raise ValueError(f"{name} skal ligge mellem 0 og 3600 sekunder")
    return value


@dataclass(frozen=True)
class VoicePrompts:
    """The fixed Danish sentences the gateway itself speaks (cached as audio)."""

    greeting: str = (
        "Hej, du taler med {name} digitale assistent. Sig med få ord, hvad det drejer sig om. "
        "Du kan også trykke 1 for at bestille en tid, 2 for åbningstider, eller 0, "
        "hvis du hellere vil tilbage i køen og tale med en medarbejder."
    )
    menu: tuple[tuple[str, str], ...] = (("bestille en tid", "/book_appointment"), ("åbningstider", "/opening_hours"))
    """Keypad menu of the greeting: (label, message to Rasa) for the digits 1, 2, ..."""
    thinking: str = "Et øjeblik."
    not_heard: str = "Undskyld, det hørte jeg ikke. Vil du sige det igen?"
    not_heard_again: str = (
        "Jeg har stadig svært ved at høre dig. Prøv at sige det med få ord, for eksempel pas, "
        "kørekort eller bestil tid. Du kan også trykke 0 for en medarbejder."
    )
    silence: str = "Er du der stadig? Sig hvad jeg kan hjælpe med, eller tryk 0 for en medarbejder."
    goodbye: str = "Jeg hører ikke noget, så jeg lægger på nu. Du er velkommen til at ringe igen. Farvel."
    technical_error: str = (
        "Beklager, der er en teknisk fejl lige nu. Jeg stiller dig om til en medarbejder, et øjeblik."
    )
    too_busy: str = (
        "Beklager, alle linjer til den digitale assistent er optaget. Jeg stiller dig om til en medarbejder."
    )
    empty_reply: str = "Undskyld, kan du sige det på en anden måde?"

    def greeting_for(self, municipality_name: str) -> str:
        """The greeting with the municipality's name ("Frederikshavn Kommunes")."""
        name = f"{municipality_name} Kommunes" if municipality_name else "kommunens"
        return self.greeting.format(name=name)


@dataclass(frozen=True)
class VoiceSettings:
    """How calls behave and which speech engines they use."""

    stt_model_dir: str = ""
    """CTranslate2 Whisper directory; empty = models/stt/whisper-base (``muni models install``)."""
    stt_workers: int = 1
    """Transcriptions in parallel (each uses ``stt_cpu_threads`` threads)."""
    stt_cpu_threads: int = 0
    tts_voice: str = ""
    """Path of a Piper voice (.onnx); empty = models/tts/da_DK-talesyntese-medium.onnx if present, else espeak-ng."""
    tts_workers: int = 1
    vad: VadSettings = field(default_factory=VadSettings)
    silence_reprompt_s: float = 8.0
    """Silence after the assistant finished speaking before it asks whether the caller is there."""
    silence_reprompts: int = 1
    """How many times it asks before the goodbye and hang-up."""
    thinking_after_s: float = 1.2
    """Say "Et øjeblik" when no answer has started this long after the caller stopped speaking."""
    max_misheard: int = 3
    """Not-understood utterances in a row before the call goes to a person."""
    max_calls: int = 20
    """Calls one gateway process takes at once; more are transferred to a person at once."""
    max_inbound_audio_ahead_s: float = 5.0
    """Inbound audio may run this far ahead of real time before frames are dropped (flooding)."""
    handoff_hook_url: str = ""
    """Optional URL that gets a POST with the transfer instruction when a call goes to a person."""
    dtmf_timeout_s: float = 3.0
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 0
    """TCP port of the Asterisk AudioSocket server; 0 = off."""
    audiosocket_allow: tuple[str, ...] = field(default_factory=lambda: env_list("MUNI_AUDIOSOCKET_ALLOW", LOOPBACK))
    """Client IP addresses or networks (CIDR) that may connect to the AudioSocket server; others are closed at once."""
    telephony_secret: str = field(default_factory=lambda: os.environ.get("MUNI_TELEPHONY_SECRET", "").strip())
    """Secret that signs each media stream's token (docs/voice.md); empty = ``var/telephony_secret`` (made at start)."""
    start_timeout_s: float = field(
        default_factory=lambda: env_seconds("MUNI_VOICE_START_TIMEOUT_S", DEFAULT_START_TIMEOUT_S)
    )
    """A media stream or AudioSocket connection that has not started a call this long after connecting is closed."""
    prompts: VoicePrompts = field(default_factory=VoicePrompts)
