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


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> bool:
    """True once this process serves `url`; False when it could not take the port (another
    process took it after free_port() let it go). Waits for its "Serving" line first: that
    is said only once the port is bound, so the answer that follows is this server's own."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        said = log.read_text(encoding="utf-8", errors="replace")
        if process.poll() is not None:
            if "Cannot listen on that address" in said:
                return False
            raise AssertionError(f"scipop serve exited with {process.returncode}: {said[-2000:]}")
        if "Serving" in said:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return True
            except OSError:
                pass
        time.sleep(0.3)
    raise AssertionError(f"scipop serve did not answer {url} within {seconds} s")


@contextmanager
def running_server(args: list[str], env: dict, log: Path, stop_seconds: float = 10) -> Iterator[str]:
    """`scipop serve ARGS` (ARGS must name the port) running until the block ends; yields its
    base URL. The port may change: if another process took it first, another is chosen."""
    args = list(args)
    env = {key: value for key, value in env.items() if key != "SCIPOP_QUIET"}   # its "Serving" line is awaited
    for _attempt in range(3):
        port = args[args.index("--port") + 1]
        with open(log, "wb") as out:
            process = subprocess.Popen([str(SCIPOP), "serve", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            if wait_until_up(base + "/sparql", process, log):
                yield base
                return
        finally:
            _stop(process, stop_seconds)
        args[args.index("--port") + 1] = str(free_port())
    raise AssertionError("scipop serve found no free port in three tries")


def _stop(process: subprocess.Popen, seconds: float) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
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
