"""Which store and index a request reads, reopened when a new publication becomes current.

Anonymous requests get the public view (a store that physically lacks restricted records,
and its own search index); logged-in staff get the full view. `published/CURRENT` changes
atomically after each ingest, so every request compares its stamp (one small file read)
and the views are reopened when it moved. Old handles are dropped, not closed: a request
still running on them finishes on the publication it started with.

Page facts that need whole-graph aggregates (~1 s at 100k projects) are computed once per
publication and view and kept here, the most recently used `MAX_FACTS` of them: requests
choose some of the keys (a report's year, a drill-down's group), so the kept set is bounded.

A search index found missing, out of date (a new publication) or unreadable is rebuilt
from the view's graph in a background thread (`search.repair_index`), one per view and
publication; meanwhile search answers 503 with Retry-After, because rebuilding inside a
request would hold it for minutes.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from kg.config import Settings
from kg.errors import NotFound, ScipopError, StoreError
from kg.publish import current_stamp, view_settings
from kg.store import KnowledgeGraph
from kg.views import FULL, PUBLIC, open_view

VIEWS = (PUBLIC, FULL)
MAX_FACTS = 512   # page facts kept per publication; each is a report or an aggregate of a page


class SearchUnavailable(ScipopError):
    code = "search_unavailable"
    status = 503


@dataclass
class _Publication:
    stamp: str | None
    graphs: dict[str, KnowledgeGraph] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)
    facts: OrderedDict[tuple, Any] = field(default_factory=OrderedDict)
    facts_lock: threading.Lock = field(default_factory=threading.Lock)


class ViewState:
    """The open views of the current publication, shared by all request threads."""

    def __init__(self, settings: Settings, search_engine: str | None = None) -> None:
        self.settings = settings
        self.search_engine = search_engine
        self._lock = threading.Lock()
        self._current = _Publication(stamp=None)
        self._repairs: dict[tuple[str | None, str], threading.Thread] = {}
        self.repair_errors: dict[tuple[str | None, str], Exception] = {}

    def publication(self) -> _Publication:
        stamp = current_stamp(self.settings)
        current = self._current
        if stamp != current.stamp:
            with self._lock:
                if self._current.stamp != stamp:
                    self._current = _Publication(stamp=stamp)
                current = self._current
        return current

    @property
    def stamp(self) -> str | None:
        return self.publication().stamp

    def graph(self, view: str) -> KnowledgeGraph:
        if view not in VIEWS:
            raise ValueError(view)
        publication = self.publication()
        graph = publication.graphs.get(view)
        if graph is None:
            with self._lock:
                graph = publication.graphs.get(view)
                if graph is None:
                    graph = open_view(self.settings, view)
                    publication.graphs[view] = graph
        return graph

    def view_settings(self, view: str) -> Settings:
        """Settings pointing at the current publication's view (for the SPARQL workers)."""
        published = view_settings(self.settings, view)
        if published is None:
            raise NotFound("Nothing has been published from this data directory yet.",
                           "Run `scipop build --demo`, or `scipop ingest …` followed by `scipop publish`.")
        return published

    def index(self, view: str):
        """The search index of `view`; SearchUnavailable when search is not built."""
        publication = self.publication()
        index = publication.indexes.get(view)
        if index is not None:
            return index
        with self._lock:
            index = publication.indexes.get(view)
            if index is None:
                try:
                    index = _open_index(self.settings, view, self.search_engine)
                except (SearchUnavailable, StoreError) as reason:
                    if isinstance(reason, NotFound) or not self._start_repair(publication.stamp, view):
                        raise
                    raise SearchUnavailable(f"{reason.message} It is being rebuilt from the graph.",
                                            "Try again in a minute.") from reason
                publication.indexes[view] = index
        return index

    def _start_repair(self, stamp: str | None, view: str) -> bool:
        """Rebuild the index of `view` in the background, once per publication (under the lock).
        False when there is nothing to rebuild from, or a repair of this publication failed."""
        if stamp is None or (stamp, view) in self.repair_errors:
            return False
        running = self._repairs.get((stamp, view))
        if running is None or not running.is_alive():
            running = threading.Thread(target=self._repair, args=(stamp, view), name=f"scipop-index-{view}",
                                       daemon=True)
            self._repairs[(stamp, view)] = running
            running.start()
        return True

    def _repair(self, stamp: str, view: str) -> None:
        try:
            from search import repair_index

            repair_index(self.settings, view, self.search_engine)
        except Exception as exc:  # noqa: BLE001 - kept so that requests stop asking for it; shown in the log
            self.repair_errors[(stamp, view)] = exc
            logging.getLogger(__name__).exception("Rebuilding the %s search index failed", view)

    def wait_for_repairs(self, timeout: float | None = None) -> None:
        """Wait for the running index repairs (tests; a clean shutdown)."""
        for thread in list(self._repairs.values()):
            thread.join(timeout)

    def fact(self, view: str, key: tuple, compute: Callable[[KnowledgeGraph], Any]) -> Any:
        """A value computed once per publication and view (page aggregates)."""
        publication = self.publication()
        full_key = (view,) + key
        with publication.facts_lock:
            if full_key in publication.facts:
                publication.facts.move_to_end(full_key)
                return publication.facts[full_key]
        value = compute(self.graph(view))   # outside the lock: a race only computes twice, with equal results
        with publication.facts_lock:
            publication.facts[full_key] = value
            while len(publication.facts) > MAX_FACTS:
                publication.facts.popitem(last=False)
        return value


def _open_index(settings: Settings, view: str, engine: str | None):
    try:
        from search import open_index
    except ImportError as exc:
        raise SearchUnavailable("Search is not available in this installation.",
                                "Install the search package and run `scipop build`.") from exc
    try:
        return open_index(settings, view=view, engine=engine)
    except ScipopError:
        raise
    except (OSError, ValueError) as exc:
        raise SearchUnavailable(f"The search index cannot be opened ({exc}).",
                                "Run `scipop build` (or `scipop index`) to build it.") from exc
