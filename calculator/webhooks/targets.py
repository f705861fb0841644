"""Which URLs a webhook may be sent to: the guard against server-side request forgery.

Only ``http`` and ``https`` URLs with a host name, no user name or password in them. Every
address the host resolves to must be a public one: loopback, private (RFC 1918, unique
local), link-local (cloud metadata services live there), shared address space, multicast,
reserved and unspecified addresses are refused, unless the operator allows private targets
(``WEBHOOKS_ALLOW_PRIVATE_TARGETS``), which allows loopback, private and link-local ones
(multicast, reserved and unspecified never make sense). The check runs when a subscription
is made and again before every delivery, and the delivery connects to the address that was
checked, so a name that later resolves elsewhere (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from calculator.errors import FieldProblem, InvalidArgument

ALLOW_SETTING = "WEBHOOKS_ALLOW_PRIVATE_TARGETS"
MAX_URL_LENGTH = 2000
# What ``parse`` can take, stated for the OpenAPI document (one source for both): an http or
# https scheme in any case (``urlsplit`` lowercases it), then printable ASCII without a "#".
# Whether the host resolves, and to what, only the check can tell.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[\x21\x22\x24-\x7e]+$"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(InvalidArgument):
    """A subscription URL the service will not call."""

    slug = "webhook-target-refused"
    title = "The webhook URL is not allowed"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str  # the checked address to connect to


def _refuse(message: str) -> TargetRefused:
    return TargetRefused(f"url: {message}", problems=[FieldProblem(message, field="url")])


def address_class(address: Address) -> str | None:
    """Why an address is not public ("loopback", "private", ...), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "private"  # 100.64.0.0/10, carrier-grade NAT: not reachable from outside
    if not address.is_global:
        return "private"
    return None


_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_ALLOWABLE = {"loopback", "private", "link-local"}


def parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of a URL the service may call, or ``TargetRefused``."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise _refuse(f"expected an http or https URL of at most {MAX_URL_LENGTH} characters")
    if not all("!" <= character <= "~" for character in url):
        # A URL is printable ASCII (RFC 3986): ``urlsplit`` drops a CR or LF without a word
        # and keeps a space, and such a URL was stored only to fail at every delivery.
        raise _refuse("a URL holds printable ASCII characters only: no spaces, line breaks "
                      "or other characters (percent-encode them, a space as %20; a host "
                      "name in its xn-- form)")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refuse("not a URL (e.g. an unclosed [ in the host)") from None
    if parts.scheme not in ("http", "https"):
        raise _refuse("only http and https URLs are accepted")
    if parts.fragment or url.endswith("#"):
        # Never sent to the server (RFC 9110, 4.2.4): it was dropped at every delivery.
        raise _refuse("a #fragment is never sent to a server; give the URL without it")
    if parts.username is not None or parts.password is not None:
        raise _refuse("a user name or password in the URL is not accepted; webhooks are "
                      "signed, so the receiver can verify them without one")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse("the port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise _refuse("the URL names no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def check(url: str, *, allow_private: bool) -> Target:
    """The target of ``url`` if every address its host resolves to may be called."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # unknown name, bad characters, NUL
        raise _refuse("the host name does not resolve to an address") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        reason = address_class(address)
        if reason is not None and not (allow_private and reason in _ALLOWABLE):
            extra = ("; the operator can allow loopback, private and link-local targets "
                     f"with the {ALLOW_SETTING} setting (environment "
                     f"CALCULATOR_{ALLOW_SETTING}=true)" if reason in _ALLOWABLE else "")
            raise _refuse(f"the host resolves to a {reason} address ({address}), which this "
                          f"service does not call, to protect the networks it runs in{extra}")
        addresses.append(address)
    return Target(scheme, host, port, path, str(addresses[0]))
