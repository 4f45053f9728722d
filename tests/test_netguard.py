"""Tests of utils.course.netguard: inside the tests only loopback connections are allowed."""

import socket
import threading
import urllib.error
import urllib.request

import pytest

from utils.course import netguard
from utils.course.netguard import NetworkBlockedError


def test_urlopen_to_the_internet_is_refused():
    with pytest.raises(urllib.error.URLError, match="forbidden"):
        urllib.request.urlopen("http://example.com", timeout=5)


def test_name_lookup_of_a_remote_host_is_refused():
    with pytest.raises(NetworkBlockedError, match="forbidden"):
        socket.getaddrinfo("example.com", 80)


@pytest.mark.parametrize("address", [("10.0.0.1", 80), ("8.8.8.8", 53), ("192.168.1.1", 443)])
def test_socket_connect_to_another_machine_raises(address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlockedError, match="forbidden"):
            sock.connect(address)
        with pytest.raises(NetworkBlockedError):
            sock.connect_ex(address)


def test_blocked_error_is_a_connection_error():
    assert issubclass(NetworkBlockedError, ConnectionError)
    assert issubclass(NetworkBlockedError, OSError)


def test_ipv6_remote_address_is_refused():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlockedError):
            sock.connect(("2001:db8::1", 80, 0, 0))


def _serve_once(host="127.0.0.1"):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(1)
    received = []

    def accept():
        conn, _ = server.accept()
        with conn:
            received.append(conn.recv(16))
            conn.sendall(b"pong")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return server, thread, received


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_server_can_still_be_reached(host):
    server, thread, received = _serve_once()
    port = server.getsockname()[1]
    try:
        with socket.create_connection((host, port), timeout=5) as client:
            client.sendall(b"ping")
            assert client.recv(16) == b"pong"
        thread.join(timeout=5)
        assert received == [b"ping"]
    finally:
        server.close()


def test_forbid_network_is_installed_and_allow_network_undoes_it():
    assert socket.socket.connect is netguard._guarded_connect
    assert socket.getaddrinfo is netguard._guarded_getaddrinfo
    try:
        netguard.allow_network()
        assert socket.socket.connect is netguard._original_connect
        assert socket.getaddrinfo is netguard._original_getaddrinfo
    finally:
        netguard.forbid_network()
    assert socket.socket.connect is netguard._guarded_connect
    assert socket.socket.connect_ex is netguard._guarded_connect_ex


@pytest.mark.parametrize("lookup", [socket.gethostbyname, socket.gethostbyname_ex])
def test_old_style_name_lookups_of_remote_hosts_are_refused(lookup):
    with pytest.raises(NetworkBlockedError, match="forbidden"):
        lookup("example.com")


def test_udp_sendto_another_machine_is_refused_but_loopback_works():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver, socket.socket(
        socket.AF_INET, socket.SOCK_DGRAM
    ) as sender:
        receiver.bind(("127.0.0.1", 0))
        with pytest.raises(NetworkBlockedError):
            sender.sendto(b"x", ("192.0.2.1", 53))
        sender.sendto(b"ping", receiver.getsockname())
        receiver.settimeout(5)
        assert receiver.recv(16) == b"ping"
