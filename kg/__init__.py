"""The knowledge graph: vocabulary, IRIs, store, named graphs, provenance, visibility, queries.

`kg` is the bottom layer: it never imports `ingest`, `search`, `web` or `cli`.
"""
