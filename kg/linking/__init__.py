"""Linking: one identity per person, institution and output, with the evidence for each merge.

    with kg.write():
        summary = run_linking(kg)          # replaces the links graph
    explain_link(kg, a_iri, b_iri)         # why two IRIs are (not) one entity

Modules: names (Chinese and pinyin names), institutions (aliases, ROR), persons, outputs,
clusters (constrained union-find), curation (curators' merges and splits), read (bulk
reads of the public graphs), run (the step), explain, pairs (hand-labelled evaluation).
"""
from kg.linking.explain import explain_link
from kg.linking.run import STAGES, LinkingSummary, run_linking

__all__ = ["run_linking", "explain_link", "LinkingSummary", "STAGES"]
