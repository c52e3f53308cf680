"""A real `scipop serve` on a free loopback port over the published demo, for the
end-to-end and browser tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from web_fixtures import SEARCH_ENGINE, STAFF_HASH, STAFF_USER, published_demo  # noqa: F401

SCIPOP = Path(sys.executable).with_name("scipop")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scipop serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"scipop serve did not answer {url} within {seconds} s")


@contextmanager
def running_server(args: list[str], env: dict, log: Path, stop_seconds: float = 10) -> Iterator[str]:
    """`scipop serve ARGS` (ARGS must name the port) running until the block ends; yields its base URL."""
    port = args[args.index("--port") + 1]
    with open(log, "wb") as out:
        process = subprocess.Popen([str(SCIPOP), "serve", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/sparql", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(published_demo, tmp_path_factory):  # noqa: F811
    """The base URL of a running server; stopped at the end of the session."""
    env = {**os.environ, "SCIPOP_DATA_DIR": str(published_demo.data_dir),
           "SCIPOP_STAFF_USERS": f"{STAFF_USER}:{STAFF_HASH}", "SCIPOP_QUIET": "1",
           "SCIPOP_SEARCH_ENGINE": SEARCH_ENGINE}
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with running_server(["--port", str(free_port()), "--threads", "4"], env, log) as base:
        yield base
