"""Voice channels: telephony media stream, Asterisk AudioSocket and browser voice."""
