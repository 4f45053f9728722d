"""Refuse every network connection except to this machine (for tests and the offline track)."""

from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo
_original_gethostbyname = socket.gethostbyname
_original_gethostbyname_ex = socket.gethostbyname_ex
_original_sendto = socket.socket.sendto


class NetworkBlockedError(ConnectionError):
    """A connection to another machine was attempted while the network is forbidden."""


def _is_local(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local(host):
        raise NetworkBlockedError(f"network access to {host!r} is forbidden here (TL_FORBID_NETWORK is set)")


def _guarded_connect(self, address):
    _check(address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _original_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host if not isinstance(host, bytes) else host.decode()):
        raise NetworkBlockedError(f"looking up {host!r} is forbidden here (TL_FORBID_NETWORK is set)")
    return _original_getaddrinfo(host, *args, **kwargs)


def _guarded_gethostbyname(host):
    _check((host, 0))
    return _original_gethostbyname(host)


def _guarded_gethostbyname_ex(host):
    _check((host, 0))
    return _original_gethostbyname_ex(host)


def _guarded_sendto(self, data, *args):
    _check(args[-1])
    return _original_sendto(self, data, *args)


def forbid_network() -> None:
    """Make connections and name look-ups to anything but loopback raise :class:`NetworkBlockedError`."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.gethostbyname = _guarded_gethostbyname
    socket.gethostbyname_ex = _guarded_gethostbyname_ex
    socket.socket.sendto = _guarded_sendto


def allow_network() -> None:
    """Undo :func:`forbid_network`."""
    socket.socket.connect = _original_connect
    socket.socket.connect_ex = _original_connect_ex
    socket.getaddrinfo = _original_getaddrinfo
    socket.gethostbyname = _original_gethostbyname
    socket.gethostbyname_ex = _original_gethostbyname_ex
    socket.socket.sendto = _original_sendto
