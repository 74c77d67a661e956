"""What the gateway and Rasa's REST channel agree on to trust each other (both environments import it).

* The gateway proves itself to the REST channel with the header :data:`GATEWAY_HEADER` carrying the
  secret both already know (``MUNI_RASA_TOKEN`` / ``var/rasa_token``), compared in constant time.
* A citizen's network address never travels or is stored in clear: :func:`client_address_id` turns
  it into a keyed hash (HMAC-SHA256 with a key derived from the same secret), the same in both
  processes, so per-address limits can count it. IPv6 addresses count per /64 network (one home or
  phone gets a whole /64), IPv4-mapped IPv6 addresses as their IPv4 address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

GATEWAY_HEADER = "X-Muni-Gateway"
"""Request header with which the gateway authenticates its messages to the REST channel."""
CLIENT_ADDRESS_PREFIX = "addr1-"
_ADDRESS_KEY_LABEL = b"muni client address v1"


def same_secret(expected: str, given: str | None) -> bool:
    """True when ``given`` is the configured secret (constant-time; an empty secret never matches)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def normalise_address(address: str) -> str | None:
    """The address that counts for limits (IPv4, or the IPv6 /64 network); None when it is not an IP address."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_address_id(secret: str, address: str | None) -> str | None:
    """The keyed hash of a client's address (``addr1-`` + 32 hex digits); None when there is no valid address."""
    normalised = normalise_address(address or "")
    if normalised is None or not secret:
        return None
    key = hmac.new(secret.encode("utf-8"), _ADDRESS_KEY_LABEL, hashlib.sha256).digest()
    digest = hmac.new(key, normalised.encode("ascii"), hashlib.sha256).hexdigest()
    return CLIENT_ADDRESS_PREFIX + digest[:32]
