"""Free TCP ports on loopback, for throw-away servers of tests and benchmarks."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
