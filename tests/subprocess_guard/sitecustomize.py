"""The tests' socket guard, in every Python subprocess a test starts (the CLI, `chroma run`, the LLM server).

`tests/conftest.py` puts this folder first on PYTHONPATH and names a log file in CROSSCHECK_SOCKET_GUARD_LOG;
Python imports this module at start-up. A connection or name lookup to any host but 127.0.0.1/::1/localhost is
refused (RuntimeError, not OSError, so retry and fallback code cannot turn it into a pass) and written to the
log, which the test's teardown reads: an attempt fails the test even when the subprocess swallowed the error.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_LOG = os.environ.get("CROSSCHECK_SOCKET_GUARD_LOG")
_LOCAL = {"127.0.0.1", "::1", "localhost"}


def _local(host: object) -> bool:
    if host is None or host in ("", "0.0.0.0", "::"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in _LOCAL:
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check(family: int, host: object, port: object, what: str) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and not _local(host):
        line = f"pid {os.getpid()}: {what} {host}:{port}\n"
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as fh:
                fh.write(line)
        raise RuntimeError(f"socket guard: a test subprocess tried to reach {host}:{port} ({what})")


if _LOG:
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def _guarded_connect(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple):
            _check(self.family, address[0], address[1], "connect")
        return _connect(self, address)  # type: ignore[arg-type]

    def _guarded_connect_ex(self: socket.socket, address: object) -> int:
        if isinstance(address, tuple):
            _check(self.family, address[0], address[1], "connect_ex")
        return _connect_ex(self, address)  # type: ignore[arg-type]

    def _guarded_getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> object:
        _check(socket.AF_INET, host, port, "getaddrinfo")
        return _getaddrinfo(host, port, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
