"""The SSRF guard: which schemes, hosts and addresses a fetch may reach.

Pure functions, no I/O: the fetch step resolves names itself and hands every resolved address
here, then connects to an address that passed. Each check returns None when the target is fine,
or a sentence an operator can read ("127.0.0.1 is a loopback address").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

# ipaddress has no name for these, or files them under a vaguer property.
_CGNAT = IPv4Network("100.64.0.0/10")
_PRIVATE = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
    IPv6Network("fc00::/7"),
)
_NAT64 = IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Allowlist:
    """Allowlist holds the (host, port) pairs admitted even though they are not public."""

    entries: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        """parse reads "host:port" and "[v6]:port" strings; malformed entries raise ValueError."""
        pairs = set()
        for entry in entries:
            host, sep, port = entry.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"allowlist entry {entry!r} is not host:port")
            pairs.add((_normal_host(host), int(port)))
        return cls(frozenset(pairs))

    def admits(self, host: str, port: int) -> bool:
        """admits says whether host (a name or an address, in any spelling) with port is listed."""
        return (_normal_host(host), port) in self.entries


def scheme_problem(scheme: str) -> str | None:
    """scheme_problem says why a URL scheme must not be fetched, or None for http and https."""
    if scheme.lower() in ALLOWED_SCHEMES:
        return None
    if not scheme:
        return "the URL has no scheme (only http and https are fetched)"
    return f"{scheme}:// URLs are not fetched (only http and https)"


def parse_ip(host: str) -> IPAddress | None:
    """parse_ip reads host as an address the way resolvers do (2130706433, 0x7f.1, [::1]), or None for a name.

    A host whose last label is numeric must be an IPv4 address (as in the WHATWG URL standard):
    such a string is never a real DNS name, and resolvers disagree about the odd ones, so those
    raise ValueError rather than reach a resolver.
    """
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        # A zone id ("fe80::1%eth0", or %25 in a URL) does not change which address it is.
        return IPv6Address(text.split("%", 1)[0])
    text = text.removesuffix(".")
    last = text.rpartition(".")[2]
    if not last or not _is_number(last):
        return None
    return _parse_loose_ipv4(text)


def address_problem(ip: IPAddress) -> str | None:
    """address_problem names what kind of non-public address ip is ("a loopback address"), or None."""
    if isinstance(ip, IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            how, v4 = embedded
            inner = address_problem(v4)
            if inner is not None:
                return f"{how} {v4}, {inner}"
            if how in ("IPv4-mapped", "NAT64"):
                return None  # the packet really goes to that public IPv4 address
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip in _CGNAT, "a shared (CGNAT) address"),
        (any(ip in net for net in _PRIVATE), "a private address"),
        (isinstance(ip, IPv6Address) and ip.is_site_local, "a site-local address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "a special-purpose (non-public) address"),
    )
    for hit, kind in checks:
        if hit:
            return kind
    return None


def check_target(scheme: str, host: str, port: int, allow: Allowlist) -> str | None:
    """check_target vets a URL's scheme and host text before any lookup, or returns None to go on."""
    return scheme_problem(scheme) or check_host(host, port, allow)


def check_host(host: str, port: int, allow: Allowlist) -> str | None:
    """check_host refuses hosts whose text already names a non-public target, unless allowlisted."""
    if not host.strip("[]. "):
        return "the URL has no host"
    if allow.admits(host, port):
        return None
    try:
        ip = parse_ip(host)
    except ValueError:
        return f"{host} is neither a valid host name nor a valid address"
    if ip is None:
        name = host.lower().removesuffix(".")
        if name == "localhost" or name.endswith(".localhost"):
            return f"{host} is a loopback name"
        return None
    problem = address_problem(ip)
    if problem is None:
        return None
    spelled = host.strip("[]").lower()
    return f"{show(ip)} is {problem}" + ("" if spelled == show(ip) else f" (written {host})")


def check_resolved(host: str, port: int, addresses: Iterable[str], allow: Allowlist) -> str | None:
    """check_resolved refuses when any address host resolved to is non-public and not allowlisted."""
    if allow.admits(host, port):
        return None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if allow.admits(str(ip), port):
            continue
        problem = address_problem(ip)
        if problem is not None:
            if _normal_host(host) == str(ip):
                return f"{show(ip)} is {problem}"
            return f"{host} resolves to {show(ip)}, {problem}"
    return None


def show(ip: IPAddress) -> str:
    """show writes ip for people: IPv4-mapped addresses keep their dotted tail (::ffff:127.0.0.1)."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _embedded_ipv4(ip: IPv6Address) -> tuple[str, IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    return None


def _normal_host(host: str) -> str:
    """_normal_host spells a host one way so "127.0.0.1", "0x7f.1" and "[::1]" compare equal."""
    try:
        ip = parse_ip(host)
    except ValueError:
        ip = None
    if ip is not None:
        return str(ip)
    return host.strip().strip("[]").lower().removesuffix(".")


def _is_number(label: str) -> bool:
    if label[:2] in ("0x", "0X"):
        return all(c in "0123456789abcdefABCDEF" for c in label[2:])
    return label.isdigit()


def _parse_loose_ipv4(text: str) -> IPv4Address:
    """_parse_loose_ipv4 reads inet_aton's forms: 1 to 4 parts, each decimal, 0-octal or 0x-hex."""
    parts = text.split(".")
    if len(parts) > 4:
        raise ValueError(f"too many parts in {text!r}")
    numbers = [_parse_part(part) for part in parts]
    # The last part fills every byte the earlier parts did not: 127.1 is 127.0.0.1.
    last_bits = 8 * (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 1 << last_bits:
        raise ValueError(f"part out of range in {text!r}")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value |= n << (24 - 8 * i)
    return IPv4Address(value)


def _parse_part(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)
