"""Speech for the voice gateway: audio conversion, endpointing, speech-to-text and text-to-speech."""
