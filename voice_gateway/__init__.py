"""The public-facing gateway in front of the Rasa stack: one aiohttp application (``app.create_app``).

- Chat API and widget: ``POST /api/chat`` (``webchat``), the embeddable widget, kiosk, read-aloud and
  ratings (``widget``, ``static/``).
- Voice: phone and browser calls (``channels``: Twilio Media Streams, Asterisk AudioSocket, browser
  WebSocket and the ``/ring`` page, fed through one call driver) into a ``call.CallSession`` that uses
  the speech engines (``speech``: VAD, faster-whisper, Piper/espeak-ng) and answers made for the ear
  (``phone_text``).
- The staff console's web side (``console``) and ``/metrics``.
"""
