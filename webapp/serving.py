"""Running the app: one waitress process, or several gunicorn worker processes.

One Python process serves at most one core's worth of pages (the GIL), so `--workers N`
runs N processes under gunicorn (threaded workers). Each worker builds its own app after
the fork: nothing is opened in the master, every worker opens the published views, search
index and its own SPARQL worker processes read-only. The web tier keeps no state a client
depends on (sessions are signed cookies, caches are per publication), so any worker can
answer any request.
"""
from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Callable

from flask import Flask


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8
    workers: int = 1


def _start(app: Flask) -> Flask:
    # Open views, index and SPARQL workers in the background: the first visitors do not wait.
    threading.Thread(target=app.extensions["scipop"].warm, name="scipop-warm", daemon=True).start()
    return app


def serve(make_app: Callable[[], Flask], options: ServeOptions, listening: Callable[[], None] = lambda: None) -> None:
    """Serve until interrupted; `make_app` is called once per serving process, `listening`
    once the address is bound (so "serving on …" is never said of a port taken by another)."""
    if options.workers <= 1:
        _serve_waitress(make_app, options, listening)
    else:
        _serve_gunicorn(make_app, options, listening)


def _serve_waitress(make_app: Callable[[], Flask], options: ServeOptions, listening: Callable[[], None]) -> None:
    from waitress import create_server

    logging.basicConfig()   # as waitress.serve() did: its and the app's log lines keep their LEVEL:name: prefix
    # waitress turns a host it cannot resolve into a bare ValueError; the OSError is the CLI's to word.
    socket.getaddrinfo(options.host, options.port, type=socket.SOCK_STREAM)
    app = _start(make_app())
    try:
        server = create_server(app, host=options.host, port=options.port, threads=options.threads, ident="scipop",
                               clear_untrusted_proxy_headers=True,
                               # Above Flask's own limit: Flask then answers a body too large in the one
                               # error shape (waitress would answer text/plain, or reset the connection).
                               max_request_body_size=4 * app.config["MAX_CONTENT_LENGTH"])
        listening()
        server.run()
    finally:
        app.extensions["scipop"].sparql.close()


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def address_url(host: str, port: int) -> str:
    """The URL a user opens for this address (an IPv6 address in brackets)."""
    return f"http://{_bind(host, port)}/"


def _can_bind(host: str, port: int) -> None:
    """Raise the OSError (address in use, not available) that gunicorn would only log, five
    times over five seconds, before exiting with 1; the CLI words it as one message."""
    from gunicorn.util import is_ipv6

    # The family gunicorn's own bind uses: IPv6 for an IPv6 literal only, IPv4 for a name too.
    family = socket.AF_INET6 if is_ipv6(host) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as gunicorn binds: TIME_WAIT is no conflict
        probe.bind((host, port))


def _serve_gunicorn(make_app: Callable[[], Flask], options: ServeOptions, listening: Callable[[], None]) -> None:
    from gunicorn.app.base import BaseApplication

    def close_sparql(_server, worker) -> None:
        app = getattr(worker, "wsgi", None)
        if isinstance(app, Flask):
            app.extensions["scipop"].sparql.close()

    settings = {
        "bind": [_bind(options.host, options.port)],
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": options.threads,
        "preload_app": False,        # each worker opens its own stores after the fork
        "keepalive": 5,
        # SPARQL GET requests carry queries of up to 10 KB, percent-encoded: longer than
        # gunicorn's 4 KB request-line default (and its 8 KB maximum); waitress had no such limit.
        "limit_request_line": 0,
        "forwarded_allow_ips": "",   # no proxy is trusted unless one is configured in front
        "proc_name": "scipop",
        # gunicorn's runtime control socket lives at one path in the home directory: two servers
        # on one machine (tests, benches) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
        "worker_exit": close_sparql,
        "when_ready": lambda _server: listening(),   # the master has bound the address
    }

    _can_bind(options.host, options.port)

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return _start(make_app())

    _Server().run()
