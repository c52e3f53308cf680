"""Identifiers are normalized once, in kg.ids, and malformed ones are never kept."""
from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from kg.concepts import SHAPES_PATH
from kg.errors import InvalidIdentifier
from kg.ids import (APPROVAL_PATTERN, application_code_parents, normalize_application_code, normalize_approval_number,
                    normalize_doi, normalize_orcid, normalize_ror)
from kg import vocab as V


@pytest.mark.parametrize("raw, expected", [
    ("61772368", "61772368"), ("６１７７２３６８", "61772368"), (" 6177 2368 ", "61772368"), ("61772368.0", "61772368"),
    ("u1832123", "U1832123"), ("T2221001", "T2221001"), ("31950410540", "31950410540"), ("U22B2062", "U22B2062"),
    (61772368, "61772368"),
])
def test_approval_numbers_in_the_shapes_found_in_exports(raw, expected):
    assert normalize_approval_number(raw) == expected


@pytest.mark.parametrize("raw", ["3187O719", "1234567", "617723681234", "X1832123", "", None, "2018YFA0701234", "BK20191234"])
def test_malformed_approval_numbers_are_refused(raw):
    with pytest.raises(InvalidIdentifier):
        normalize_approval_number(raw)


def test_the_shapes_check_approval_numbers_with_the_same_pattern():
    shapes = Graph().parse(SHAPES_PATH)
    patterns = {str(shapes.value(prop, SH.pattern)) for prop in shapes.subjects(SH.path, V.approvalNumber)}
    assert patterns == {APPROVAL_PATTERN}


def test_other_identifiers():
    assert normalize_doi("https://doi.org/10.7717/PeerJ.10555") == "10.7717/peerj.10555"
    assert normalize_orcid("https://orcid.org/0000-0003-3953-765x") == "0000-0003-3953-765X"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        normalize_orcid("0000-0003-3953-7651")
    assert normalize_ror("https://ror.org/03cve4549") == "03cve4549"
    assert normalize_application_code("一级：C05，二级：C0501") == "C0501"
    assert application_code_parents("C050101") == ["C", "C05", "C0501"]
