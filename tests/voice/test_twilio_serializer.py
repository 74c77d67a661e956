"""The telephony media stream format (Twilio Media Streams): parsing inbound, building outbound, round trips."""

import base64
import json

import numpy as np
import pytest

from voice_gateway.channels import twilio
from voice_gateway.speech.audio import mulaw_decode, mulaw_encode

START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": "AC123",
        "streamSid": "MZ123",
        "callSid": "CA0123456789abcdef",
        "tracks": ["inbound"],
        "customParameters": {"from": "+4520304050", "to": "+4598455000"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    },
    "streamSid": "MZ123",
}


def test_start_gives_ids_numbers_and_format():
    event = twilio.parse_event(json.dumps(START))
    assert isinstance(event, twilio.Start)
    assert (event.stream_sid, event.call_sid) == ("MZ123", "CA0123456789abcdef")
    assert (event.caller, event.dialled) == ("+4520304050", "+4598455000")
    assert (event.encoding, event.sample_rate, event.channels) == ("audio/x-mulaw", 8000, 1)


def test_media_round_trip_through_outbound_message():
    pcm = (np.sin(np.arange(1600) / 8) * 8000).astype("<i2").tobytes()
    outbound = twilio.media_message("MZ123", pcm)
    assert outbound["event"] == "media" and outbound["streamSid"] == "MZ123"
    inbound = twilio.parse_event(json.dumps({"event": "media", "media": outbound["media"] | {"track": "inbound"}}))
    assert isinstance(inbound, twilio.Media)
    assert inbound.pcm == mulaw_decode(mulaw_encode(pcm))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"event": "connected", "protocol": "Call", "version": "1.0.0"}, twilio.Connected()),
        ({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": "5"}}, twilio.Dtmf("5")),
        ({"event": "mark", "mark": {"name": "reply-3"}}, twilio.Mark("reply-3")),
        ({"event": "stop", "stop": {"callSid": "CA1"}}, twilio.Stop()),
        ({"event": "something-new"}, twilio.Unknown("something-new")),
    ],
)
def test_control_events(message, expected):
    assert twilio.parse_event(json.dumps(message)) == expected


def test_outbound_control_messages():
    assert twilio.mark_message("MZ1", "reply-1") == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "reply-1"}}
    assert twilio.clear_message("MZ1") == {"event": "clear", "streamSid": "MZ1"}
    transfer = twilio.transfer_message("MZ1", {"reason": "citizen_request"})
    assert transfer == {"event": "transfer", "streamSid": "MZ1", "transfer": {"reason": "citizen_request"}}


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '{"no_event": 1}',
        '{"event": "media"}',
        '{"event": "media", "media": {"payload": "%%%not base64"}}',
        '{"event": "media", "media": {"payload": 12}}',
        '{"event": "dtmf", "dtmf": {"digit": "x"}}',
        '{"event": "start", "start": {"streamSid": "MZ1"}}',
        '{"event": "start", "start": {"streamSid": "MZ1", "callSid": "../../etc"}}',
        '{"event": "start", "start": {"streamSid": "MZ1", "callSid": "CA1", "mediaFormat": {"sampleRate": "fast"}}}',
        '{"event": "mark", "mark": "reply"}',
    ],
)
def test_malformed_messages_raise_protocol_errors(raw):
    with pytest.raises(twilio.ProtocolError):
        twilio.parse_event(raw)


def test_oversized_media_frame_is_refused():
    payload = base64.b64encode(b"\xff" * (twilio.MAX_MEDIA_BYTES + 10)).decode()
    with pytest.raises(twilio.ProtocolError, match="too large"):
        twilio.parse_event(json.dumps({"event": "media", "media": {"payload": payload}}))
