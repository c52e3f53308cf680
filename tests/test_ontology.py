"""The ontology is the one source of truth for terms: kg/vocab.py and ontology.ttl agree."""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg import concepts
from kg import vocab as V

DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
CONCEPT_TYPES = {SKOS.Concept, SKOS.ConceptScheme}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(concepts.ONTOLOGY_PATH, format="turtle")


def vocab_sp_terms() -> set[URIRef]:
    """Every sp: term that kg/vocab.py names."""
    return {value for value in vars(V).values()
            if isinstance(value, URIRef) and str(value).startswith(str(V.SP))}


def declared_sp_terms(graph: Graph) -> set[URIRef]:
    """sp: classes and properties that ontology.ttl declares (concept individuals excluded)."""
    return {s for t in DECLARATION_TYPES for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef) and str(s).startswith(str(V.SP))}


def test_every_vocab_term_is_declared_in_the_ontology(ontology):
    declared = declared_sp_terms(ontology) | {
        s for t in CONCEPT_TYPES for s in ontology.subjects(RDF.type, t)}
    missing = sorted(str(t) for t in vocab_sp_terms() - declared)
    assert missing == []


def test_every_ontology_class_and_property_is_in_vocab(ontology):
    extra = sorted(str(t) for t in declared_sp_terms(ontology) - vocab_sp_terms())
    assert extra == []


def test_every_declaration_has_english_and_chinese_labels_and_a_comment(ontology):
    for term in declared_sp_terms(ontology):
        langs = {label.language for label in ontology.objects(term, RDFS.label) if isinstance(label, Literal)}
        assert {"en", "zh"} <= langs, term
        assert ontology.value(term, RDFS.comment) is not None, term


def test_entity_classes_reuse_standard_vocabularies(ontology):
    expected = {
        V.FundedProject: {V.SCHEMA.MonetaryGrant, V.FRAPO.Grant, V.VIVO.Grant},
        V.Researcher: {V.SCHEMA.Person, V.FOAF.Person},
        V.SupportingInstitution: {V.SCHEMA.Organization, V.FOAF.Organization},
        V.ResearchOutput: {V.SCHEMA.CreativeWork, V.BIBO.Document},
        V.PopularScienceWork: {V.SCHEMA.CreativeWork},
        V.QualifiedLink: {V.PROV.Entity},
        V.SourceFile: {V.PROV.Entity},
        V.IngestActivity: {V.PROV.Activity},
    }
    for cls, parents in expected.items():
        assert parents <= set(ontology.objects(cls, RDFS.subClassOf)), cls


def test_concept_classes_are_skos_concepts_and_every_concept_has_its_class(ontology):
    concept_classes = [V.ProjectType, V.ObligationTier, V.ScienceDepartment, V.ApplicationCode, V.OutputKind,
                       V.WorkKind, V.ReviewStatus, V.PopularizationEvent, V.PopularizationStatus, V.LinkMethod]
    for cls in concept_classes:
        assert (cls, RDFS.subClassOf, SKOS.Concept) in ontology
    for concept in ontology.subjects(RDF.type, SKOS.Concept):
        assert set(ontology.objects(concept, RDF.type)) & set(concept_classes), concept


def test_link_methods_are_ranked_by_an_integer(ontology):
    for method in concepts.members(V.LinkMethodScheme):
        assert isinstance(ontology.value(method, V.rank).toPython(), int), method


def test_each_project_type_has_exactly_one_tier(ontology):
    types = concepts.members(V.ProjectTypeScheme)
    assert len(types) >= 10
    for project_type in types:
        tiers = list(ontology.objects(project_type, V.obligationTier))
        assert len(tiers) == 1, project_type
        assert (tiers[0], RDF.type, V.ObligationTier) in ontology


def test_the_obliged_tier_is_exactly_the_five_high_intensity_programmes():
    obliged = {t for t in concepts.members(V.ProjectTypeScheme) if concepts.obligation_tier(t) == V.TierObliged}
    assert obliged == {
        concepts.lookup(V.ProjectTypeScheme, "重大项目"),
        concepts.lookup(V.ProjectTypeScheme, "重大研究计划"),
        concepts.lookup(V.ProjectTypeScheme, "创新研究群体项目"),
        concepts.lookup(V.ProjectTypeScheme, "国家重大科研仪器研制项目"),
        concepts.lookup(V.ProjectTypeScheme, "基础科学中心项目"),
    }


@pytest.mark.parametrize("label", ["面上项目", "青年科学基金项目", "地区科学基金项目"])
def test_general_youth_and_regional_programmes_are_encouraged(label):
    assert concepts.obligation_tier(concepts.lookup(V.ProjectTypeScheme, label)) == V.TierEncouraged


# Example queries in docs/queries ------------------------------------------------------

QUERIES = sorted((Path(__file__).resolve().parents[1] / "docs" / "queries").glob("*.rq"))
SAMPLE = Path(__file__).resolve().parent / "data" / "validation" / "valid.ttl"


def test_there_are_eight_to_twelve_example_queries():
    assert 8 <= len(QUERIES) <= 12


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_query_is_documented_bounded_and_linear(path):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# ") and first.endswith(".")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).upper()
    assert "LIMIT" in code
    assert "NOT EXISTS" not in code and "MINUS" not in code  # negation is quadratic on Oxigraph
    for prefix, namespace in re.findall(r"PREFIX\s+(\w+):\s*<([^>]+)>", text):
        assert str(V.PREFIXES[prefix]) == namespace, prefix


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_query_parses_in_rdflib_and_oxigraph(path):
    text = path.read_text(encoding="utf-8")
    prepareQuery(text)
    list(ox.Store().query(text))


@pytest.fixture(scope="module")
def sample_kg(tmp_path_factory):
    """valid.ttl as one source file, with the ontology and derived facts, as after an ingest."""
    from kg.bootstrap import ensure_ontology
    from kg.config import Settings
    from kg.derive import refresh
    from kg.store import KnowledgeGraph

    kg = KnowledgeGraph(Settings(data_dir=tmp_path_factory.mktemp("queries")))
    with kg.write():
        ensure_ontology(kg)
        kg.dataset.graph(kg.minter.source_graph("sample.ttl")).parse(SAMPLE, format="turtle")
        refresh(kg)
    yield kg
    kg.close()


def run(kg, name: str) -> list[dict]:
    return kg.select((QUERIES[0].parent / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_query_runs_on_a_store(sample_kg, path):
    sample_kg.select(path.read_text(encoding="utf-8"))


def test_obligation_compliance_counts_the_sample_project(sample_kg):
    rows = run(sample_kg, "obligation-compliance.rq")
    assert [(r["tier"], r["status"], int(r["projects"])) for r in rows] == [
        (V.TierEncouraged, V.Popularized, 1)]  # it has a popularization-report field


def test_project_outputs_show_link_provenance(sample_kg):
    rows = run(sample_kg, "project-outputs-with-provenance.rq")
    assert [(str(r["approvalNumber"]), str(r["doi"]), int(r["rank"]), str(r["evidence"])) for r in rows] == [
        ("61772368", "10.1145/3448016.3452841", 2, "NSFC 61772368")]


def test_restricted_free_check_finds_a_pending_work_in_a_public_graph(sample_kg):
    """valid.ttl holds a pending work; loaded as a public graph, the check must name it."""
    rows = run(sample_kg, "check-public-graphs-hold-only-approved-records.rq")
    assert [(str(r["record"]).rsplit("/", 1)[-1], r["status"]) for r in rows] == [("popsci-w1", V.Pending)]
    assert run(sample_kg, "check-no-email-in-public-graphs.rq") == []


def test_talent_pool_and_researcher_record(sample_kg):
    pool = run(sample_kg, "talent-pool-by-expertise.rq")
    assert [(str(r["expertise"]), int(r["members"]), int(r["membersWithWorks"])) for r in pool] == [("数据库", 1, 1)]
    record = {str(r["person"]).rsplit("/", 1)[-1]: r for r in run(sample_kg, "researcher-popularization-record.rq")}
    wang = record["nsfc-100234"]
    assert (int(wang["projectsLed"]), int(wang["projectsPopularized"]), int(wang["worksCreated"])) == (1, 1, 1)
