"""Search: bilingual full-text search, talent-pool lookup and unpopularized-results search.

The only package that uses a search engine. Two engines sit behind one interface:
Whoosh (default, `whoosh-reloaded`) and Tantivy (`--search-engine tantivy`, much faster
at scale). Both index the same pre-analysed tokens (jieba for Chinese, Porter stems for
English, pinyin name keys), so they return the same documents for the same query.

    from search import SearchQuery, open_index
    with open_index(settings, "public") as index:
        results = index.search(SearchQuery(text="量子计算", kind="project", filters={"popularized": ["no"]}))
"""
from search.engine import ENGINES
from search.index import (IndexNotReady, build_index, check_index, diff_index, engine_advice, graph_fingerprint,
                          index_exists, index_view, open_index, open_view_graph, plan_index_memory, repair_index,
                          suggest_engine, update_index)
from search.model import (Hit, IndexDiff, IndexStats, SearchQuery, SearchResults, TalentHit, TalentQuery)
from search.query import MAX_RESULT_WINDOW
from search.regions import unknown_region_note
from search.searching import SearchIndex

__all__ = [
    "ENGINES", "Hit", "MAX_RESULT_WINDOW", "IndexDiff", "IndexNotReady", "IndexStats", "SearchIndex", "SearchQuery", "SearchResults", "TalentHit",
    "TalentQuery", "build_index", "check_index", "diff_index", "engine_advice", "graph_fingerprint", "index_exists",
    "index_view", "open_index", "open_view_graph", "plan_index_memory", "repair_index", "suggest_engine", "unknown_region_note",
    "update_index",
]
