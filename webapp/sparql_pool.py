"""User SPARQL runs in worker processes, so that a time limit really stops the work.

rdflib (and oxrdflib under it) cannot cancel a running query, so a thread would go on
burning CPU after the client was told "timeout". Here each query goes to an idle worker
process over a pipe; when the answer does not come back in time the worker is killed and
replaced, which is the only way to be sure the work stopped.

Workers open the view's store read-only (pyoxigraph allows several read-only openers) and
send back the rendered result. Rendered results are cached per publication: a
publication never changes, so the same query on it always gives the same bytes.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.errors import QueryTimeout, ScipopError

# A short answer for "every worker is busy": callers should retry, not pile up.
BUSY_WAIT_SECONDS = 5.0
STARTUP_SECONDS = 60.0  # imports in a fresh worker on a loaded machine
CACHE_BYTES = 32 * 1024 * 1024
CACHE_ENTRY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Job:
    data_dir: str        # the publication's view directory
    base_iri: str
    query: str
    fmt: str             # a kg.sparql format name: json, xml, csv, tsv, turtle, nt, json-ld
    max_rows: int


@dataclass(frozen=True)
class Answer:
    body: bytes
    form: str            # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    truncated: bool


class WorkerError(ScipopError):
    """A ScipopError raised in a worker, rebuilt with its code and status."""

    def __init__(self, code: str, status: int, message: str, hint: str = "", details: dict | None = None) -> None:
        super().__init__(message, hint, **(details or {}))
        self.code = code
        self.status = status


class Busy(ScipopError):
    code = "busy"
    status = 503


class WorkerFailed(ScipopError):
    code = "query_failed"
    status = 500


# --- The worker side ------------------------------------------------------------------------
def _worker_main(conn: Connection) -> None:
    """Answer jobs until the pipe closes. Imports happen here, in the child."""
    from kg.config import Settings
    from kg.sparql import GraphResult, check_query, render_graph, render_results, run_query
    from kg.store import KnowledgeGraph

    # Say so once the imports are done: a new worker's start-up must not count against
    # the first query's time limit.
    conn.send(("ready", None))
    graphs: dict[str, KnowledgeGraph] = {}
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            graph = graphs.get(job.data_dir)
            if graph is None:
                for old in graphs.values():
                    old.close()  # a new publication: the old one is not needed in this worker
                graphs = {job.data_dir: KnowledgeGraph(Settings(data_dir=Path(job.data_dir), base_iri=job.base_iri),
                                                       read_only=True)}
                graph = graphs[job.data_dir]
            checked = check_query(job.query)
            result = run_query(graph, checked, limit=job.max_rows)
            if isinstance(result, GraphResult):
                if job.fmt not in ("turtle", "nt", "json-ld", "xml"):
                    raise _wrong_form(checked.form, job.fmt)
                body = render_graph(result, job.fmt)
            else:
                if job.fmt not in ("json", "xml", "csv", "tsv"):
                    raise _wrong_form(checked.form, job.fmt)
                body = render_results(result, job.fmt)
            conn.send(("ok", Answer(body.encode("utf-8"), checked.form, result.truncated)))
        except ScipopError as error:
            conn.send(("error", (error.code, error.status, error.message, error.hint, error.details)))
        except Exception as error:  # an engine failure on a valid query: report it, keep the worker
            conn.send(("error", ("query_failed", 500, f"The query failed in the engine: {error}", "", {})))


def _wrong_form(form: str, fmt: str) -> ScipopError:
    from kg.errors import QueryError

    error = QueryError(f"A {form.replace('Query', '')} query cannot be given as {fmt}.",
                       "SELECT/ASK give json, xml, csv, tsv; CONSTRUCT/DESCRIBE give turtle, nt, json-ld, xml.")
    error.status = 406
    error.code = "not_acceptable"
    return error


# --- The server side ------------------------------------------------------------------------
class _Worker:
    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True, name="scipop-sparql")
        self.process.start()
        child.close()
        self.ready = False

    def await_ready(self) -> None:
        """Wait for the child's start-up message (imports), outside any query's time limit."""
        if self.ready:
            return
        if not self.conn.poll(STARTUP_SECONDS):
            raise WorkerFailed("A SPARQL worker did not start.", "Retry; report it if it happens again.")
        status, _ = self.conn.recv()
        self.ready = status == "ready"

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class SparqlPool:
    """A few worker processes, each running one query at a time, with a cache of answers."""

    def __init__(self, workers: int = 2, timeout: float = 10.0) -> None:
        self.size = max(1, workers)
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._started = False
        self._cache: OrderedDict[Job, Answer] = OrderedDict()
        self._cache_bytes = 0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            for _ in range(self.size):
                worker = _Worker(self._context)
                self._all.append(worker)
                self._idle.put(worker)
            self._started = True

    def run(self, job: Job) -> Answer:
        cached = self._cached(job)
        if cached is not None:
            return cached
        self.start()
        try:
            worker = self._idle.get(timeout=BUSY_WAIT_SECONDS)
        except queue.Empty:
            raise Busy("Every SPARQL worker is busy.", "Retry in a few seconds.") from None
        try:
            worker.await_ready()
            worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                worker = self._replace(worker)
                raise QueryTimeout(f"The query ran longer than the limit of {self.timeout:g} s and was stopped.",
                                   "Add a LIMIT, narrow the pattern, or use the derived facts (see docs/data-model.md).",
                                   timeout_seconds=self.timeout)
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            worker = self._replace(worker)
            raise WorkerFailed("The query worker stopped unexpectedly.", "Retry; report it if it happens again.") from None
        finally:
            self._idle.put(worker)
        if status == "error":
            code, http_status, message, hint, details = payload
            raise WorkerError(code, http_status, message, hint, details)
        self._remember(job, payload)
        return payload

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        fresh = _Worker(self._context)
        with self._lock:
            self._all = [w for w in self._all if w is not worker] + [fresh]
        return fresh

    def _cached(self, job: Job) -> Answer | None:
        with self._lock:
            answer = self._cache.get(job)
            if answer is not None:
                self._cache.move_to_end(job)
            return answer

    def _remember(self, job: Job, answer: Answer) -> None:
        size = len(answer.body) + len(job.query)
        if size > CACHE_ENTRY_BYTES:
            return
        with self._lock:
            if job in self._cache:
                return
            self._cache[job] = answer
            self._cache_bytes += size
            while self._cache_bytes > CACHE_BYTES and self._cache:
                old_job, old = self._cache.popitem(last=False)
                self._cache_bytes -= len(old.body) + len(old_job.query)

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
            self._started = False
        for worker in workers:
            worker.kill()
