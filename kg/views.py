"""The two read-only views readers use: 'full' for staff, 'public' for everyone else."""
from __future__ import annotations

from kg.config import Settings
from kg.errors import NotFound
from kg.publish import view_settings
from kg.store import KnowledgeGraph

PUBLIC = "public"
FULL = "full"


def open_view(settings: Settings, view: str = PUBLIC) -> KnowledgeGraph:
    """The current publication's store for `view`, opened read-only."""
    if settings.store_url and view == FULL:
        return KnowledgeGraph(settings, read_only=True)  # a SPARQL server is its own staff view
    published = view_settings(settings, view)
    if published is None:
        raise NotFound("Nothing has been published from this data directory yet.",
                       "Run `scipop build --demo`, or `scipop ingest …` followed by `scipop publish`.")
    return KnowledgeGraph(published, read_only=True)
