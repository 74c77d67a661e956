"""The public-facing gateway: web chat today; telephony, voice and staff console build on it."""
