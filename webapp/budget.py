"""Per-client budgets: how many requests, and how many seconds of work, one address may
spend on the expensive endpoints in a sliding window (the Wikidata Query Service model).

The SPARQL time limit stops one runaway query; a budget stops one client from running
many of them back to back and starving everyone else. Each client (remote address) has
a log of (start time, seconds spent) entries for the last `window` seconds. A request is
refused with 429 and a Retry-After when the log already holds `max_requests` entries or
`max_seconds` of work; the Retry-After is when enough of the log will have aged out.

Request threads of waitress share one `ClientBudget`; a lock guards the logs. The logs of
clients that went quiet are dropped, so memory stays bounded by the active clients.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from kg.errors import ScipopError

# Logs are swept for idle clients every this many checks (cheap, and bounds memory).
SWEEP_EVERY = 1024


class BudgetExceeded(ScipopError):
    """A client spent its budget; `retry_after` (whole seconds) says when it may try again."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, hint: str, retry_after: int, scope: str) -> None:
        super().__init__(message, hint, retry_after=retry_after, scope=scope)
        self.retry_after = retry_after


@dataclass(frozen=True)
class BudgetPolicy:
    """Limits of one scope (e.g. 'sparql'); 0 switches a limit off."""

    scope: str
    window: float = 60.0
    max_requests: int = 0
    max_seconds: float = 0.0
    exempt: frozenset[str] = field(default_factory=frozenset)
    # Requests of one client running at once. Seconds are known only when a request ends, so
    # without this bound a client sending many at once was let in for all of them (and
    # filled every server thread).
    max_running: int = 0

    @property
    def enabled(self) -> bool:
        return self.window > 0 and (self.max_requests > 0 or self.max_seconds > 0 or self.max_running > 0)


class _Entry:
    """One request in a client's log; `seconds` is filled in when it finishes."""

    __slots__ = ("started", "seconds", "running")

    def __init__(self, started: float) -> None:
        self.started = started
        self.seconds = 0.0
        self.running = True


@dataclass
class Charge:
    """What `ClientBudget.admit` hands back, to be passed to `finish` with the time spent."""

    entry: _Entry | None


class ClientBudget:
    """The sliding-window logs of every client for one scope, shared by all request threads."""

    def __init__(self, policy: BudgetPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._logs: dict[str, deque[_Entry]] = {}
        self._checks = 0

    def admit(self, client: str) -> Charge:
        """Log a request of `client`, or raise BudgetExceeded when its budget is spent."""
        policy = self.policy
        if not policy.enabled or client in policy.exempt:
            return Charge(None)
        with self._lock:
            now = self._clock()
            self._checks += 1
            if self._checks % SWEEP_EVERY == 0:
                self._sweep(now)
            log = self._logs.setdefault(client, deque())
            self._expire(log, now)
            running = sum(1 for entry in log if entry.running)
            if policy.max_running > 0 and running >= policy.max_running:
                raise self._busy_refusal(running)
            wait = self._wait(log, now)
            if wait is not None:
                raise self._refusal(wait)
            entry = _Entry(now)
            log.append(entry)
            return Charge(entry)

    def finish(self, charge: Charge, seconds: float) -> None:
        """Record the work a request cost (wall time in the server)."""
        if charge.entry is not None:
            with self._lock:
                charge.entry.seconds = max(0.0, seconds)
                charge.entry.running = False

    def _expire(self, log: deque[_Entry], now: float) -> None:
        horizon = now - self.policy.window
        while log and log[0].started <= horizon:
            log.popleft()

    def _wait(self, log: deque[_Entry], now: float) -> float | None:
        """Seconds until the client is within budget again, or None if it is now."""
        policy = self.policy
        waits = []
        if policy.max_requests > 0 and len(log) >= policy.max_requests:
            # The oldest entries that must age out for one more request to fit.
            waits.append(log[len(log) - policy.max_requests].started + policy.window - now)
        if policy.max_seconds > 0:
            spent = sum(entry.seconds for entry in log)
            if spent >= policy.max_seconds:
                for entry in log:
                    spent -= entry.seconds
                    if spent < policy.max_seconds:
                        waits.append(entry.started + policy.window - now)
                        break
        return max(waits) if waits else None

    def _busy_refusal(self, running: int) -> BudgetExceeded:
        return BudgetExceeded(
            f"This client already has {running} {self.policy.scope} requests running; at most "
            f"{self.policy.max_running} may run at once.",
            "Wait for an answer before sending the next request (Retry-After).", 1, self.policy.scope)

    def _refusal(self, wait: float) -> BudgetExceeded:
        policy = self.policy
        limits = []
        if policy.max_requests > 0:
            limits.append(f"{policy.max_requests} requests")
        if policy.max_seconds > 0:
            limits.append(f"{policy.max_seconds:g} s of query time")
        retry = max(1, math.ceil(wait))
        return BudgetExceeded(
            f"This client has used its {policy.scope} budget ({' or '.join(limits)} per {policy.window:g} s).",
            f"Wait {retry} s (see Retry-After) and send fewer or cheaper requests; "
            "ask the operators for an exemption for batch work.", retry, policy.scope)

    def _sweep(self, now: float) -> None:
        for client in [c for c, log in self._logs.items() if not log or log[-1].started <= now - self.policy.window]:
            del self._logs[client]

    def clients(self) -> int:
        """How many clients have a log (for tests and monitoring)."""
        with self._lock:
            return len(self._logs)
