"""Rendered answers for anonymous readers, kept per publication.

A publication never changes, so the same anonymous request (path, query string, language,
Accept) on the same publication always renders the same bytes. Staff requests (full view)
are never cached. Bounded by total bytes; least recently used answers go first.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

KEPT_HEADERS = ("Content-Type", "Vary", "Link", "Content-Disposition")


@dataclass(frozen=True)
class Cached:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]


class ResponseCache:
    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry: int = 2 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self._items: OrderedDict[tuple, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Cached | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple, body: bytes, status: int, headers) -> None:
        if len(body) > self.max_entry:
            return
        kept = tuple((name, value) for name, value in headers.items() if name in KEPT_HEADERS)
        with self._lock:
            if key in self._items:
                return
            self._items[key] = Cached(body, status, kept)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= len(old.body)
