"""A worker process that synthesises speech with Piper; run as ``python -m voice_gateway.speech.piper_worker``.

Licence boundary: the Piper engine (``piper-tts``) is GPL-3.0, while Muni is Apache-2.0. Piper is
therefore imported ONLY here, in a separate program that the gateway starts as a child process and
talks to over pipes (``voice_gateway.speech.tts.PiperTextToSpeech``); no gateway module may import
``piper`` or this module. The worker is an optional, separately installed component
(``pip install 'muni[piper]'``); without it the gateway falls back to espeak-ng.

Usage::

    python -m voice_gateway.speech.piper_worker --model VOICE.onnx [--config VOICE.onnx.json]
        [--length-scale 1.0] [--speaker 0]

Protocol (stdin: text, stdout: binary frames, stderr: logs only):

* Every frame on stdout is a 4-byte big-endian unsigned length followed by that many payload bytes.
* After the voice has loaded the worker writes one ready frame: JSON ``{"ready": true, "sample_rate": r}``.
* stdin carries one JSON object per line: ``{"id": n, "text": "..."}``. Requests are answered in order.
* For each request the worker writes a JSON header frame, ``{"id": n, "sample_rate": r}`` or
  ``{"id": n, "error": "..."}``, then zero or more audio frames (mono PCM16 little-endian) and
  finally an empty frame (length 0) that ends the request, also after an error.
* The worker exits when stdin is closed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import struct
import sys
import time
from typing import BinaryIO

LOG = logging.getLogger("voice_gateway.speech.piper_worker")

_LENGTH = struct.Struct(">I")


def write_frame(out: BinaryIO, payload: bytes) -> None:
    """Write one length-prefixed frame (not flushed)."""
    out.write(_LENGTH.pack(len(payload)))
    if payload:
        out.write(payload)


def write_json_frame(out: BinaryIO, message: dict[str, object]) -> None:
    """Write one frame holding a JSON object."""
    write_frame(out, json.dumps(message, ensure_ascii=False).encode("utf-8"))


def _protocol_stdout() -> BinaryIO:
    """The real stdout for frames; file descriptor 1 is pointed at stderr so stray prints cannot corrupt it."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=1 << 16)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options of the worker."""
    parser = argparse.ArgumentParser(description="Piper text-to-speech worker (GPL-3.0 engine behind a pipe).")
    parser.add_argument("--model", required=True, help="path of the Piper voice (.onnx)")
    parser.add_argument("--config", default=None, help="path of the voice config (default: MODEL.json)")
    parser.add_argument("--length-scale", type=float, default=None, help="speaking rate: > 1 slower, < 1 faster")
    parser.add_argument("--speaker", type=int, default=None, help="speaker id of a multi-speaker voice")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Load the voice, announce readiness, then answer requests from stdin until it closes."""
    args = _parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s piper-worker %(levelname)s %(message)s"
    )
    out = _protocol_stdout()
    started = time.monotonic()
    try:
        from piper import PiperVoice, SynthesisConfig  # GPL-3.0: imported only in this process

        voice = PiperVoice.load(args.model, config_path=args.config)
    except Exception:
        LOG.exception("could not load the Piper voice %s", args.model)
        return 2
    sample_rate = int(voice.config.sample_rate)
    syn_config = SynthesisConfig(speaker_id=args.speaker, length_scale=args.length_scale)
    LOG.info("voice %s loaded in %.2f s (%d Hz)", args.model, time.monotonic() - started, sample_rate)
    write_json_frame(out, {"ready": True, "sample_rate": sample_rate})
    out.flush()

    for raw_line in sys.stdin.buffer:
        line = raw_line.strip()
        if not line:
            continue
        request_id: object = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            text = str(request.get("text", ""))
            chunks = [chunk.audio_int16_bytes for chunk in voice.synthesize(text, syn_config)] if text.strip() else []
        except Exception as error:
            LOG.exception("synthesis failed for request %r", request_id)
            write_json_frame(out, {"id": request_id, "error": f"{type(error).__name__}: {error}"})
        else:
            write_json_frame(out, {"id": request_id, "sample_rate": sample_rate})
            for pcm in chunks:
                write_frame(out, pcm)
        write_frame(out, b"")
        out.flush()
    LOG.info("stdin closed, exiting")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)
