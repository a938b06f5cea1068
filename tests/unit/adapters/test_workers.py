"""What each `serve` worker is given, and the sockets on its port (the processes themselves
are exercised in tests/protocol/test_serve_workers.py)."""

from __future__ import annotations

import socket

import pytest

from adapters.workers import (
    each_workers_settings,
    listening_socket,
    reserved_port,
    worker_socket,
)
from bot.config import Settings
from bot.errors import ConfigError


def test_workers_share_the_cores_among_their_encoders() -> None:
    settings = Settings(embed_threads=0)
    assert each_workers_settings(settings, 2, cores=8).embed_threads == 4
    assert each_workers_settings(settings, 3, cores=2).embed_threads == 1  # never none
    assert each_workers_settings(settings, 1, cores=8).embed_threads == 0  # as the setting says


def test_embed_threads_set_by_the_operator_is_kept() -> None:
    assert each_workers_settings(Settings(embed_threads=3), 2, cores=8).embed_threads == 3


def test_the_listening_socket_takes_a_free_port_and_a_taken_one_is_refused_by_name() -> None:
    first = listening_socket("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        assert port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # it listens
        with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{port}: "):
            listening_socket("127.0.0.1", port)
    finally:
        first.close()


def test_workers_listen_on_the_port_the_supervisor_holds() -> None:
    held = reserved_port("127.0.0.1", 0)
    port = held.getsockname()[1]
    workers = []
    try:
        with pytest.raises(ConnectionRefusedError):  # held, not listening: nothing waits
            socket.create_connection(("127.0.0.1", port), timeout=5)
        workers = [worker_socket("127.0.0.1", port) for _ in range(2)]
        for _ in range(4):
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass  # accepted into one of the workers' queues
        with pytest.raises(ConfigError, match="cannot listen"):
            reserved_port("127.0.0.1", port)  # a second server finds it taken
    finally:
        for sock in [held, *workers]:
            sock.close()
