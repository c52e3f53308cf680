"""The graph on a SPARQL 1.1 Query+Update server (Oxigraph server, Fuseki, Virtuoso, GraphDB).

Selected by `--store-url` / SCIPOP_STORE_URL: the query endpoint, e.g.
http://127.0.0.1:7878/query (Oxigraph) or http://host:3030/ds/query (Fuseki). The update
endpoint is the same URL with its last segment 'query'/'sparql' replaced by 'update',
or SCIPOP_STORE_UPDATE_URL. The server must answer queries over the union of its named
graphs by default (`oxigraph serve --union-default-graph`, Fuseki's unionDefaultGraph).

Atomicity: a server cannot take our checkpoint, so every graph a write is about to change
is first copied server-side to a backup graph (COPY), and a local journal lists them.
A failed write moves the backups back; a killed one is rolled back on the next open.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

from kg import writelock
from kg.atomic import replacing
from kg.errors import ConfigError, QueryError, ScipopError, StoreError

JOURNAL = "remote.journal"
BACKUP_PREFIX = "urn:scipop:backup:"
INSERT_CHUNK = 5000  # quads per INSERT DATA request
_LAST_IRI = re.compile(r"(<[^>]*>)\s*\.\s*$")


def update_url_for(query_url: str) -> str:
    override = os.environ.get("SCIPOP_STORE_UPDATE_URL")
    if override:
        return override
    base, _, last = query_url.rstrip("/").rpartition("/")
    if last not in ("query", "sparql"):
        raise ConfigError(f"Cannot tell the update endpoint of {query_url}.",
                          "Give the query endpoint (ending in /query or /sparql) or set SCIPOP_STORE_UPDATE_URL.")
    return f"{base}/update"


# Answers that say the address is no SPARQL query endpoint; others (400, 500) are about the query.
NOT_AN_ENDPOINT = (404, 405, 406, 415)


def unreachable(url: str, exc: BaseException) -> ScipopError:
    """The one message for a SPARQL server that cannot be reached, is not a query endpoint, or
    refused the query (with the server's own words)."""
    if isinstance(exc, urllib.error.HTTPError) and exc.code not in NOT_AN_ENDPOINT:
        with exc:   # it holds the connection open until closed
            detail = exc.read().decode("utf-8", "replace")[:300]
        return QueryError(f"The SPARQL server refused the request ({exc.code}): {detail}",
                          "Check the query, or the server's log.")
    if isinstance(exc, urllib.error.HTTPError):
        exc.close()
        return StoreError(f"The SPARQL server at {url} answered {exc.code} ({exc.reason}) instead of results.",
                          "Check --store-url / SCIPOP_STORE_URL: it must be the query endpoint "
                          "(for `oxigraph serve`, http://HOST:PORT/query; SCIPOP_STORE_UPDATE_URL the update one).")
    reason = getattr(exc, "reason", None) or exc
    return StoreError(f"The SPARQL server at {url} cannot be reached ({reason}).",
                      "Start the server, or check --store-url / SCIPOP_STORE_URL.")


class RemoteBackend:
    def __init__(self, query_url: str, data_dir: Path, timeout: float = 600.0) -> None:
        if not query_url.startswith(("http://", "https://")):
            raise ConfigError(f"The store URL '{query_url}' is not an http(s) URL.", "Set --store-url to the server's SPARQL query endpoint.")
        self.query_url = query_url
        self.update_url = update_url_for(query_url)
        self.data_dir = data_dir
        self.timeout = timeout
        self._store: SPARQLUpdateStore | None = None
        self._saved: dict[str, str | None] | None = None  # graph -> backup graph (None: did not exist)
        data_dir.mkdir(parents=True, exist_ok=True)
        self._recover()

    # HTTP -----------------------------------------------------------------------------
    def _post(self, url: str, body: str, content_type: str, accept: str = "*/*") -> bytes:
        request = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                         headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except OSError as exc:   # urllib's URLError and HTTPError among them
            raise unreachable(url, exc) from exc

    def _update(self, sparql: str) -> None:
        self._post(self.update_url, sparql, "application/sparql-update")

    def update(self, sparql: str, touches: Iterable[URIRef] = ()) -> None:
        """A SPARQL update that changes the `touches` graphs (backed up first)."""
        for graph in touches:
            self._before_change(str(graph))
        self._update(sparql)

    def _select(self, sparql: str) -> list[dict]:
        raw = self._post(self.query_url, sparql, "application/sparql-query", "application/sparql-results+json")
        return json.loads(raw)["results"]["bindings"]

    # Backend interface ----------------------------------------------------------------
    def rows(self, sparql: str) -> Iterator[tuple[str | None, ...]]:
        raw = self._post(self.query_url, sparql, "application/sparql-query", "application/sparql-results+json")
        result = json.loads(raw)
        names = result["head"]["vars"]
        for binding in result["results"]["bindings"]:
            yield tuple(binding[n]["value"] if n in binding else None for n in names)

    def rdflib_store(self) -> SPARQLUpdateStore:
        if self._store is None:
            self._store = SPARQLUpdateStore(self.query_url, self.update_url, timeout=int(self.timeout))
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def graph_names(self) -> list[URIRef]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return [URIRef(r["g"]["value"]) for r in rows if not r["g"]["value"].startswith(BACKUP_PREFIX)]

    def count_triples(self, graph: URIRef | None = None) -> int:
        if graph is None:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(!STRSTARTS(STR(?g), \"{BACKUP_PREFIX}\")) }}"
        else:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        return int(self._select(query)[0]["n"]["value"])

    def drop_graph(self, graph: URIRef) -> None:
        self._before_change(str(graph))
        self._update(f"DROP SILENT GRAPH <{graph}>")

    def load_nquads(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self._load_file(path)

    def _load_file(self, path: Path) -> None:
        """INSERT DATA in chunks; works on every SPARQL 1.1 Update server."""
        chunk: list[str] = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and not line.startswith("#"):   # N-Quads comments (a state file's stamp)
                    chunk.append(line)
                if len(chunk) >= INSERT_CHUNK:
                    self._insert(chunk)
                    chunk = []
        if chunk:
            self._insert(chunk)

    def _insert(self, lines: list[str]) -> None:
        by_graph: dict[str, list[str]] = {}
        for line in lines:
            match = _LAST_IRI.search(line)
            graph = match.group(1)
            by_graph.setdefault(graph, []).append(line[: match.start()] + ".")
        for graph in by_graph:
            self._before_change(graph.strip("<>"))
        body = " ".join(f"GRAPH {g} {{ {' '.join(triples)} }}" for g, triples in by_graph.items())
        self._update(f"INSERT DATA {{ {body} }}")

    # Atomic writes --------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with writelock.exclusive(self.data_dir):   # refuses a nested write too (writelock.nested)
            # Another process's killed write, left since this one opened: undo it before this
            # write's journal takes the journal's place.
            self._undo_killed_write()
            self._saved = {}
            self._write_journal()
            try:
                yield
            except BaseException:
                self._restore(self._saved)
                raise
            finally:
                saved, self._saved = self._saved, None
            # The journal's removal commits the write: a kill (or a failed DROP) after it
            # leaves spare backup graphs, never a journal that would undo the write.
            (self.data_dir / JOURNAL).unlink(missing_ok=True)
            self._discard_backups(saved)

    def _before_change(self, graph: str) -> None:
        """Keep a server-side copy of a graph the first time a write touches it."""
        if self._saved is None:
            raise StoreError("Writes must happen inside KnowledgeGraph.write().", "This is a bug; please report it.")
        if graph in self._saved or graph.startswith(BACKUP_PREFIX):
            return
        exists = self._ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        backup = f"{BACKUP_PREFIX}{uuid.uuid4().hex}" if exists else None
        if backup:
            self._update(f"COPY <{graph}> TO <{backup}>")
        self._saved[graph] = backup
        self._write_journal()

    def _ask(self, sparql: str) -> bool:
        raw = self._post(self.query_url, sparql, "application/sparql-query", "application/sparql-results+json")
        return bool(json.loads(raw)["boolean"])

    def _write_journal(self) -> None:
        # Rewritten as each graph is saved: replaced whole, so that a write killed while
        # rewriting it leaves the last whole list of saved graphs, not half a JSON document.
        with replacing(self.data_dir / JOURNAL, binary=False) as handle:
            handle.write(json.dumps({"endpoint": self.query_url, "saved": self._saved}))

    def _restore(self, saved: dict[str, str | None]) -> None:
        """Put each saved graph back. Safe to run again after being cut short: a graph already
        moved back has no backup any more, and is left alone (a MOVE SILENT from a missing
        graph would empty it: SPARQL's MOVE drops the target first)."""
        for graph, backup in saved.items():
            if backup:
                if self._ask(f"ASK {{ GRAPH <{backup}> {{ ?s ?p ?o }} }}"):
                    self._update(f"MOVE <{backup}> TO <{graph}>")
            else:
                self._update(f"DROP SILENT GRAPH <{graph}>")
        (self.data_dir / JOURNAL).unlink(missing_ok=True)

    def _discard_backups(self, saved: dict[str, str | None]) -> None:
        for backup in saved.values():
            if backup:
                self._update(f"DROP SILENT GRAPH <{backup}>")

    def _recover(self) -> None:
        """Undo a write that a killed process left half done; not one a live process is
        making in this data directory (it holds the write lock: kg.writelock)."""
        if not (self.data_dir / JOURNAL).exists():
            return
        with writelock.if_free(self.data_dir) as holding:
            if holding:   # else a live writer's journal
                self._undo_killed_write()

    def _undo_killed_write(self) -> None:
        """Holding the write lock: put back what a killed write's journal saved, if there is one."""
        journal = self.data_dir / JOURNAL
        if not journal.exists():   # none, or the writer finished
            return
        state = json.loads(journal.read_text())
        if state.get("endpoint") == self.query_url:
            self._restore(state.get("saved") or {})
