"""``muni voice token``: mint the signed token of one telephony media stream (docs/voice.md).

The platform's call webhook normally mints the token itself for each call; this command does the same
by hand, for testing a platform configuration or a static test number.
"""

from __future__ import annotations

import argparse
import time

from muni.services import eprint
from voice_gateway.channels.stream_token import MAX_TOKEN_TTL_S, mint_token, telephony_secret
from voice_gateway.voice_settings import VoiceSettings


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``voice token`` to the command line."""
    voice = sub.add_parser("voice", help="telefonkanalerne")
    voice_sub = voice.add_subparsers(dest="voice", required=True)
    token = voice_sub.add_parser("token", help="lav det signerede token til én medie-strøm (customParameters.token)")
    token.add_argument("--call-sid", required=True, help="opkaldets id (callSid i start-beskeden)")
    token.add_argument("--from", dest="caller", required=True, help="nummeret, der ringer (customParameters.from)")
    token.add_argument("--to", dest="dialled", required=True, help="det kaldte nummer (customParameters.to)")
    token.add_argument("--ttl", type=int, default=300, help=f"gyldighed i sekunder (1-{MAX_TOKEN_TTL_S}, standard 300)")
    token.set_defaults(func=run_token)


def run_token(args: argparse.Namespace, _config: object) -> int:
    """Print the token for the given call (secret: MUNI_TELEPHONY_SECRET, else var/telephony_secret)."""
    if not 1 <= args.ttl <= MAX_TOKEN_TTL_S:
        eprint(f"Fejl: --ttl skal ligge mellem 1 og {MAX_TOKEN_TTL_S} sekunder.")
        return 2
    try:
        secret = telephony_secret(VoiceSettings().telephony_secret)
        token = mint_token(secret, args.call_sid, args.caller, args.dialled, int(time.time()) + args.ttl)
    except ValueError as error:
        eprint(f"Fejl: {error}")
        return 2
    print(token)
    return 0
