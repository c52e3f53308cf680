"""A research office loads its exports: all or nothing, idempotent, with provenance and a reject report."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from cli import main
from ingest.pipeline import ingest_paths, remove_sources
from kg import catalog
from kg import vocab as V
from kg.errors import InputError, NotFound
from kg.config import Settings
from kg.store import KnowledgeGraph, prefix_block

from conftest import DATA, ROOT

PROJECTS = DATA / "projects"


def _snapshot(kg) -> set:
    return {tuple(row) for row in kg.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}


def _projects(kg) -> set:
    return {str(r["p"]) for r in kg.select(prefix_block() + "SELECT ?p WHERE { ?p a sp:FundedProject }")}


def test_each_file_gets_its_own_graph_and_a_catalog_entry(kg):
    summary = ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    graph = kg.minter.source_graph("dailycafi_C0501_2022.csv")

    assert summary.records == 4 and summary.rejects == 0
    assert graph in kg.graph_names()
    # Records restate shared facts (institutions, code hierarchy); the store keeps each triple once.
    assert 0 < kg.count_triples(graph) <= summary.triples
    [entry] = catalog.sources(kg)
    assert entry["graph"] == graph
    assert str(entry["format"]) == "nsfc-projects"
    assert len(str(entry["sha256"])) == 64
    assert int(entry["records"]) == 4
    # The exact bytes are kept, so the graph can always be rebuilt from what was loaded.
    assert (kg.settings.sources_dir / f"{entry['sha256']}.csv").read_bytes() == (PROJECTS / "dailycafi_C0501_2022.csv").read_bytes()


def test_re_ingesting_the_same_file_replaces_its_graph(kg):
    ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    first = {t for t in _snapshot(kg) if t[0] != kg.minter.catalog_graph()}
    ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    second = {t for t in _snapshot(kg) if t[0] != kg.minter.catalog_graph()}
    assert first == second
    assert len(catalog.sources(kg)) == 1


def test_a_bad_row_stops_the_ingest_and_names_file_line_and_field(kg):
    ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    before = _snapshot(kg)
    with pytest.raises(InputError) as caught:
        ingest_paths(kg, [PROJECTS / "projects_zh.jsonl", PROJECTS / "bad_rows.csv"])
    error = caught.value
    assert error.location.file.endswith("bad_rows.csv")
    assert error.location.line == 3
    assert error.location.field is not None
    assert "bad_rows.csv, line 3" in error.message
    assert _snapshot(kg) == before  # the good file given first was not loaded either


def test_skip_invalid_loads_the_good_rows_and_reports_the_rest(kg):
    summary = ingest_paths(kg, [PROJECTS / "bad_rows.csv"], skip_invalid=True)
    assert summary.records == 1
    assert summary.rejects == 4
    rows = [json.loads(line) for line in summary.reject_report.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [3, 4, 5, 6]
    assert all(r["file"].endswith("bad_rows.csv") and r["field"] and r["problem"] for r in rows)
    # Every reject names the value at fault, a malformed identifier too (its problem already quotes it).
    assert [r["value"] for r in rows][:3] == ["3187O719", "2019年上半年", "五十八"]
    assert rows[0]["problem"].count("3187O719") == 1
    assert _projects(kg) == {str(kg.minter.project("31870719"))}


def test_unreviewed_records_go_to_the_restricted_twin_graph(kg):
    ingest_paths(kg, [PROJECTS / "projects_zh.jsonl"])
    graph = kg.minter.source_graph("projects_zh.jsonl")
    restricted = kg.minter.restricted_graph(graph)
    rows = kg.select(prefix_block() + "SELECT ?g ?p ?s WHERE { GRAPH ?g { ?p a sp:FundedProject ; sp:reviewStatus ?s } }")
    by_graph = {(r["g"], r["s"]) for r in rows}
    assert (graph, V.Approved) in by_graph
    assert (restricted, V.Pending) in by_graph
    assert not any(g == graph and s != V.Approved for g, s in by_graph)


def test_derived_status_follows_the_works_that_popularize_a_project(kg, tmp_path):
    works = tmp_path / "works.csv"
    works.write_text(
        "work_id,title,kind,grant_numbers,review_status\n"
        "w1,膜蛋白的故事,video,31870719,approved\n"
        "w2,叶绿体里的折纸,article,31900512,pending\n", encoding="utf-8")
    ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv", PROJECTS / "projects_zh.jsonl"])

    def status(number: str):
        return kg.dataset.value(kg.minter.project(number), V.popularizationStatus)

    assert status("31870719") == V.NoKnownResults
    # The concluding report's popularization field counts as popularization.
    assert status("32071234") == V.Popularized
    ingest_paths(kg, [works])
    assert status("31870719") == V.Popularized
    # A work still under confidentiality review has not reached the public yet.
    assert status("31900512") == V.NoKnownResults
    assert kg.dataset.value(kg.minter.project("31870719"), V.workCount) == Literal(1)
    assert kg.dataset.value(kg.minter.project("31870719"), V.obligationTier) == V.TierEncouraged


def test_cli_reports_a_user_mistake_in_one_line_with_exit_status_2(runner, tmp_path):
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "ingest", str(PROJECTS / "bad_rows.csv")])
    assert result.exit_code == 2
    assert "bad_rows.csv, line 3" in result.output
    assert "Fix:" in result.output
    assert "Traceback" not in result.output


def test_a_header_only_re_export_does_not_silently_empty_its_source(kg, runner, tmp_path):
    """An export that failed half way (its header alone) would have replaced the file's 4
    projects with nothing; it is refused, and --allow-empty empties the source on purpose."""
    export = tmp_path / "dailycafi_C0501_2022.csv"
    shutil.copyfile(PROJECTS / "dailycafi_C0501_2022.csv", export)
    ingest_paths(kg, [export])
    before = _snapshot(kg)
    export.write_text(export.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_paths(kg, [export])
    assert "would remove the 4 records that source 'dailycafi_C0501_2022.csv' holds" in caught.value.message
    assert caught.value.location.file == str(export) and "--allow-empty" in caught.value.hint
    assert _snapshot(kg) == before
    summary = ingest_paths(kg, [export], allow_empty=True)
    assert summary.records == 0 and _projects(kg) == set()
    assert [int(e["records"]) for e in catalog.sources(kg)] == [0]
    ingest_paths(kg, [export])   # a source already empty may stay empty


def test_cli_allow_empty(runner, tmp_path):
    export = tmp_path / "people.csv"
    export.write_text("person_id,name_zh\nP1,王伟\n", encoding="utf-8")
    data = ["--data-dir", str(tmp_path / "d"), "--quiet"]
    assert runner.invoke(main, data + ["ingest", "--no-publish", str(export)]).exit_code == 0
    export.write_text("person_id,name_zh\n", encoding="utf-8")
    refused = runner.invoke(main, data + ["ingest", "--no-publish", str(export)])
    assert refused.exit_code == 2 and "would remove the 1 record that source" in refused.output and "Traceback" not in refused.output
    allowed = runner.invoke(main, data + ["ingest", "--no-publish", str(export)], env={"SCIPOP_INGEST_ALLOW_EMPTY": "1"})
    assert allowed.exit_code == 0, allowed.output
    [source] = json.loads(runner.invoke(main, data + ["sources", "--format", "json"]).output)
    assert (source["name"], source["records"]) == ("people.csv", 0)


def test_a_refused_emptying_names_the_first_rejected_row(kg, tmp_path):
    """With --skip-invalid every row of the new export was rejected; no reject report is
    written for a refused run, so the refusal itself names the first problem."""
    export = tmp_path / "dailycafi_C0501_2022.csv"
    shutil.copyfile(PROJECTS / "dailycafi_C0501_2022.csv", export)
    ingest_paths(kg, [export])
    export.write_text("approveText,title\n6187200,缺位批准号的示例项目\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\(1 row was rejected, the first on line 2: '6187200' is not an NSFC"):
        ingest_paths(kg, [export], skip_invalid=True)


def test_removing_sources_is_all_or_none_and_keeps_the_files_bytes(kg, runner):
    ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv", PROJECTS / "suqingdong_C050101_2015.tsv"])
    before = _snapshot(kg)
    with pytest.raises(NotFound, match="No source named 'nosuch.csv'"):
        remove_sources(kg, ["dailycafi_C0501_2022.csv", "nosuch.csv"])
    assert _snapshot(kg) == before
    [removed] = remove_sources(kg, ["dailycafi_C0501_2022.csv"])
    assert (removed.name, removed.records) == ("dailycafi_C0501_2022.csv", 4)
    assert [str(e["name"]) for e in catalog.sources(kg)] == ["suqingdong_C050101_2015.tsv"]
    assert kg.minter.source_graph("dailycafi_C0501_2022.csv") not in kg.graph_names()
    assert str(kg.minter.project("31870719")) in _projects(kg)   # the other file holds it too
    assert str(kg.minter.project("31900512")) not in _projects(kg)
    assert len(list(kg.settings.sources_dir.iterdir())) == 2   # what the user loaded is never lost


def test_cli_remove_of_an_unknown_source_says_how_to_list_them(runner, tmp_path):
    data = ["--data-dir", str(tmp_path / "d"), "--quiet"]
    assert runner.invoke(main, data + ["ingest", "--no-publish", str(PROJECTS / "dailycafi_C0501_2022.csv")]).exit_code == 0
    listed = runner.invoke(main, data + ["sources"])
    assert listed.exit_code == 0 and "dailycafi_C0501_2022.csv" in listed.output and "nsfc-projects" in listed.output
    result = runner.invoke(main, data + ["remove", "projects.csv"])
    assert result.exit_code == 2 and "No source named 'projects.csv'" in result.output and "scipop sources" in result.output
    assert "Traceback" not in result.output


def test_one_file_loaded_under_two_names_is_pointed_out(kg, runner, tmp_path):
    """Ingested once through its folder (projects/…) and once by itself: two sources, the
    same records twice, and an update through one name would leave the other's values."""
    folder = tmp_path / "projects"
    folder.mkdir()
    shutil.copyfile(PROJECTS / "dailycafi_C0501_2022.csv", folder / "dailycafi_C0501_2022.csv")
    assert ingest_paths(kg, [folder]).warnings == []
    again = ingest_paths(kg, [folder / "dailycafi_C0501_2022.csv"])
    assert again.warnings == ["The sources 'dailycafi_C0501_2022.csv', 'projects/dailycafi_C0501_2022.csv' hold the "
                              "same file, so its records are loaded twice; take the extra names out with "
                              "'scipop remove NAME'."]
    remove_sources(kg, ["dailycafi_C0501_2022.csv"])
    assert ingest_paths(kg, [folder]).warnings == []   # re-ingested under its one name: nothing to say
    data = ["--data-dir", str(tmp_path / "d")]
    runner.invoke(main, data + ["--quiet", "ingest", "--no-publish", str(folder)])
    said = runner.invoke(main, data + ["--quiet", "ingest", "--no-publish", str(folder / "dailycafi_C0501_2022.csv")])
    assert said.exit_code == 0 and "hold the same file" in said.output   # said even with --quiet


def test_two_files_with_one_name_are_refused_rather_than_one_replacing_the_other(kg, tmp_path):
    """Found by review: a/projects.csv and b/projects.csv were one source, so b's rows replaced
    a's and the catalog kept b's checksum only."""
    for folder, rows in (("a", "11700001,湍流\n11700002,激波\n"), ("b", "11700003,涡旋\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "projects.csv").write_text("approval_number,title\n" + rows, encoding="utf-8")
    before = kg.count_triples()
    with pytest.raises(InputError, match="would both be loaded as source 'projects.csv'") as caught:
        ingest_paths(kg, [tmp_path / "a" / "projects.csv", tmp_path / "b" / "projects.csv"])
    assert caught.value.location.file.endswith("b/projects.csv") and kg.count_triples() == before
    ingest_paths(kg, [tmp_path / "a" / "projects.csv", tmp_path / "a" / ".." / "a" / "projects.csv"])  # one file twice
    ingest_paths(kg, [tmp_path / "a", tmp_path / "b"])   # folders given whole keep their names apart
    projects = kg.select(prefix_block() + "SELECT DISTINCT ?p WHERE { ?p a sp:FundedProject }")
    assert len(projects) == 3


@pytest.mark.parametrize("arguments,expected", [
    (["ingest", "--encoding", "rot13", "{projects}"], "unknown text encoding 'rot13'"),
    (["ingest", "--encoding", "utf-16", "{projects}"], "not valid utf-16"),
    (["--base-iri", "http://x/ y/", "stats"], "not a valid http(s) IRI"),
    (["--data-dir", "{file}/sub", "ingest", "{projects}"], "Not a directory"),
    (["demo-data", "--projects", "-5", "{tmp}/out"], "-5 is not in the range"),
    (["stats"], "There is no graph at"),     # no data directory yet: not RocksDB's "IO error … CURRENT"
    (["publish"], "There is no graph at"),   # not an empty publication of a mistyped --data-dir
    (["link"], "There is no graph at"),
    (["query", "{tmp}/gaps.rq"], "is a file name, not a query"),          # not "syntax error at line 1"
    (["query", "--limit", "-1", "ASK {{}}"], "-1 is not in the range"),
])
def test_cli_mistakes_found_by_review_end_in_one_line_not_a_traceback(runner, tmp_path, arguments, expected):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "gaps.rq").write_text("SELECT * WHERE { ?s ?p ?o }", encoding="utf-8")
    values = {"projects": str(PROJECTS / "dailycafi_C0501_2022.csv"), "file": str(tmp_path / "a-file"), "tmp": str(tmp_path)}
    arguments = [a.format(**values) for a in arguments]
    if arguments[0] != "--data-dir":
        arguments = ["--data-dir", str(tmp_path / "d")] + arguments
    result = runner.invoke(main, arguments)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OSError, ValueError, LookupError))


def test_a_file_no_format_claims_is_named_with_the_formats_to_choose_from(runner, tmp_path):
    notes = tmp_path / "meeting-notes.txt"
    notes.write_text("2024年科普周 会议纪要\n出席：王明、李华\n", encoding="utf-8")
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "ingest", str(notes)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "meeting-notes.txt" in result.output and "cannot tell which source format" in result.output
    assert "--format with one of: " in result.output and "nsfc-projects" in result.output


def test_a_file_with_a_header_and_no_records_is_loaded_and_named(runner, tmp_path):
    header_only = tmp_path / "researchers.csv"
    header_only.write_text((DATA / "linking" / "world" / "researchers.csv").read_text(encoding="utf-8").splitlines()[0] + "\n",
                           encoding="utf-8")
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "-q", "ingest", "--no-publish", str(header_only)])
    assert result.exit_code == 0, result.output
    assert "'researchers.csv' holds no records (nothing under its header)" in result.output


def test_a_read_only_command_on_a_mistyped_data_dir_leaves_no_directory_behind(runner, tmp_path):
    typo = tmp_path / "scipop-dtaa"
    for command in (["stats"], ["query", "ASK {}"]):
        result = runner.invoke(main, ["--data-dir", str(typo), *command])
        assert result.exit_code == 2 and "There is no graph at" in result.output, result.output
        assert not typo.exists(), command


def test_a_data_directory_is_written_only_with_the_base_iri_it_was_made_with(runner, tmp_path):
    """Another --base-iri minted every IRI anew beside the old ones: two catalogs, each source
    listed twice, one with -4 restricted records."""
    data_dir = str(tmp_path / "d")
    projects = str(PROJECTS / "dailycafi_C0501_2022.csv")
    assert runner.invoke(main, ["--data-dir", data_dir, "-q", "ingest", projects]).exit_code == 0
    with KnowledgeGraph(Settings(data_dir=Path(data_dir))) as kg:
        graphs = set(kg.graph_names())
    for command in (["ingest", projects], ["link"], ["remove", "dailycafi_C0501_2022.csv"]):
        said = runner.invoke(main, ["--data-dir", data_dir, "-q", "--base-iri", "https://other.example.org/", *command])
        assert said.exit_code == 2, said.output
        assert "was made with the base IRI https://kg.scipop.example.org/, not https://other.example.org/" in said.output
    with KnowledgeGraph(Settings(data_dir=Path(data_dir))) as kg:
        assert set(kg.graph_names()) == graphs
    said = runner.invoke(main, ["--data-dir", data_dir, "sources"])
    assert said.output.count("dailycafi_C0501_2022.csv") == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_says_so_and_how_to_choose_another(tmp_path, workers):
    """In a process of its own, as a user runs it (waitress leaves its socket open when the
    bind fails, which the test process would report as a leak). With workers, gunicorn would
    log the refusal five times over five seconds and exit with 1; and neither server says
    "Serving" of a port it could not take."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "d").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-c", "from cli import main; main()", "--data-dir", str(tmp_path / "d"),
                                 "serve", "--port", str(port), "--workers", workers], capture_output=True, text=True,
                                timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 2 and "Cannot listen on that address" in result.stderr, result.stderr
    assert "another --port" in result.stderr and "Traceback" not in result.stderr
    assert "Serving" not in result.stderr and "gunicorn" not in result.stderr


@pytest.mark.parametrize("fmt, path, looks, skip", [
    ("pubmed", PROJECTS / "dailycafi_C0501_2022.csv", "nsfc-projects", False),
    ("orcid", PROJECTS / "dailycafi_C0501_2022.csv", "nsfc-projects", False),
    ("nsfc-projects", DATA / "outputs" / "oai_listrecords.xml", "oai-pmh", False),
    # Record by record, every one refused: with --skip-invalid that loaded nothing and exited 0.
    ("crossref", DATA / "outputs" / "openalex_works.jsonl", "openalex", True)])
def test_a_format_that_does_not_fit_the_file_names_the_one_it_looks_like(runner, tmp_path, fmt, path, looks, skip):
    """`--format pubmed` on a funder's CSV said only 'malformed XML'."""
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "--quiet", "ingest", "--no-publish",
                                  "--format", fmt, *(["--skip-invalid"] if skip else []), str(path)])
    assert result.exit_code == 2, result.output
    assert f"looks like {looks}, not {fmt}: leave out --format, or pass --format {looks}." in result.output
    assert str(path) in result.output and "Traceback" not in result.output


def test_quiet_still_says_that_records_were_set_aside(runner, tmp_path):
    """Found by review: with --quiet a --skip-invalid run (and `build --demo -q`) looked clean."""
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "--quiet", "ingest", "--skip-invalid",
                                  "--no-publish", str(PROJECTS / "bad_rows.csv")])
    assert result.exit_code == 0 and "records were rejected; see" in result.output
    assert "Loaded" not in result.output   # the chatter stays quiet


def test_cli_ingest_stats_and_query(runner, tmp_path):
    data_dir = str(tmp_path / "d")
    result = runner.invoke(main, ["--data-dir", data_dir, "--quiet", "ingest", str(PROJECTS / "dailycafi_C0501_2022.csv")])
    assert result.exit_code == 0, result.output
    stats = json.loads(runner.invoke(main, ["--data-dir", data_dir, "stats", "--format", "json"]).output)
    assert stats["FundedProject"] == 4
    assert stats["triples"] > 0
    query = prefix_block() + "SELECT ?n WHERE { ?p sp:approvalNumber ?n } ORDER BY ?n"
    result = runner.invoke(main, ["--data-dir", data_dir, "query", "-", "--format", "csv"], input=query)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "n" and len(lines) == 5
    refused = runner.invoke(main, ["--data-dir", data_dir, "query", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"])
    assert refused.exit_code == 2 and "SERVICE is not allowed" in refused.output
    # The text table shows IRIs whole (two source graphs differ only in their tails); long text ends in '…'.
    graphs = prefix_block() + "SELECT DISTINCT ?g ?name WHERE { ?g a sp:SourceFile ; sp:sourceName ?name }"
    table = runner.invoke(main, ["--data-dir", data_dir, "query", "-"], input=graphs).output
    with KnowledgeGraph(Settings(data_dir=Path(data_dir)), read_only=True) as kg:
        source = str(kg.minter.source_graph("dailycafi_C0501_2022.csv"))
    assert len(source) > 60 and source in table
    long_text = 'SELECT ?t WHERE { BIND("' + "长" * 80 + '" AS ?t) }'
    assert "长" * 59 + "…" in runner.invoke(main, ["--data-dir", data_dir, "query", long_text]).output


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """`scipop query … | head -1`: not 'The system refused: Broken pipe' and exit status 2."""
    import subprocess
    import sys

    data_dir = tmp_path / "d"
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        ingest_paths(kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    scipop = [sys.executable, "-c", "from cli import main; main()", "--data-dir", str(data_dir), "query", query]
    process = subprocess.Popen(scipop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    process.stdout.close()   # the reader is gone before a line is written
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 141 and errors.decode() == ""


def test_every_option_can_come_from_the_environment(runner, tmp_path):
    env = {"SCIPOP_DATA_DIR": str(tmp_path / "env-data"), "SCIPOP_QUIET": "1"}
    result = runner.invoke(main, ["ingest", str(PROJECTS / "bad_rows.csv")], env={**env, "SCIPOP_INGEST_SKIP_INVALID": "1"})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-data" / "rejects").is_dir()


@pytest.mark.parametrize("env, args, said", [
    ({"SCIPOP_QUIET": "maybe"}, ["stats"], "The environment variable SCIPOP_QUIET='maybe' (for --quiet) is not valid"),
    ({"SCIPOP_SEARCH_ENGINE": "lucene"}, ["stats"], "SCIPOP_SEARCH_ENGINE='lucene' (for --search-engine)"),
    ({"SCIPOP_SERVE_PORT": "http"}, ["serve"], "SCIPOP_SERVE_PORT='http' (for --port) is not valid"),
])
def test_a_bad_value_from_the_environment_names_the_variable_not_a_flag_nobody_typed(runner, tmp_path, env, args, said):
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), *args], env=env)
    assert result.exit_code == 2 and said in result.output and "Fix: Correct" in result.output, result.output
    typed = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "--search-engine", "lucene", "stats"])
    assert typed.exit_code == 2 and "Invalid value for '--search-engine'" in typed.output   # typed: click's own words


def test_a_mistyped_format_or_data_dir_is_refused_before_anything_is_created(runner, tmp_path):
    typo = tmp_path / "scipop-dta"
    result = runner.invoke(main, ["--data-dir", str(typo), "ingest", "--format", "nsfc", str(PROJECTS / "bad_rows.csv")])
    assert result.exit_code == 2 and "unknown format 'nsfc'" in result.output and "nsfc-projects" in result.output
    served = runner.invoke(main, ["--data-dir", str(typo), "serve"])
    assert served.exit_code == 2 and f"There is no data directory at {typo}" in served.output
    assert "scipop build --demo" in served.output and not typo.exists()
    late = runner.invoke(main, ["--data-dir", str(typo), "ingest", str(PROJECTS / "bad_rows.csv"), "--quiet"])
    assert late.exit_code == 2 and "Put it before the command: scipop --quiet ingest" in late.output
    assert not typo.exists()


def test_extract_grants_reads_json_lines_and_plain_lines_from_standard_input(runner):
    """One JSON line out per statement in, with its id when it had one; blank lines skipped;
    Windows line ends (a statement pasted from a Windows editor) are not part of the text."""
    statements = ('{"id": "w1", "text": "National Natural Science Foundation of China (Grant Nos. 12171335, 12301603)"}\n'
                  "\n"
                  "国家自然科学基金(61533019、71232006)资助\r\n"
                  "湖北省自然科学基金(2019CFB123)资助\n")
    result = runner.invoke(main, ["extract-grants"], input=statements.encode("utf-8"))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line.get("id") for line in lines] == ["w1", None, None]
    assert [[g["approval_number"] for g in line["grants"]] for line in lines] == [
        ["12171335", "12301603"], ["61533019", "71232006"], []]   # a provincial fund is not NSFC's
    assert all("\r" not in g["evidence"] for line in lines for g in line["grants"])


@pytest.mark.parametrize("command", [["extract-grants"], ["query", "-"]])
def test_standard_input_that_is_not_utf8_is_refused_not_misread(runner, tmp_path, command):
    """GBK text piped in: grant extraction found nothing and said nothing; a query crashed."""
    text = "国家自然科学基金(81273412)资助\n" if command[0] == "extract-grants" else "SELECT * WHERE { ?s ?p '量子' }"
    with KnowledgeGraph(Settings(data_dir=tmp_path / "d")):
        pass
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), *command], input=text.encode("gbk"))
    assert result.exit_code == 2 and "standard input, line 1: is not UTF-8 text" in result.output, result.output
    assert "iconv" in result.output


@pytest.mark.parametrize("padding", ["", "x"])
def test_a_gb18030_export_is_recognised_even_when_the_sniffing_sample_ends_inside_a_character(tmp_path, padding):
    from ingest import registry

    header = "项目名称\t批准号\t项目类别\n"
    rows = "".join(f"{padding}膜蛋白结构与功能的研究{i}\t3187{i:04d}\t面上项目\n" for i in range(2000))
    path = tmp_path / "export.gbk.tsv"
    path.write_bytes((header + rows).encode("gb18030"))
    assert registry.choose(path).name == "nsfc-projects"


def _graphs_outside_the_catalog(kg) -> dict:
    """Each named graph as an rdflib Graph, for comparison up to blank-node names. The catalog
    records load times; everything else must be the same however the files are mapped."""
    graphs: dict = {}
    for g, s, p, o in _snapshot(kg):
        if g != kg.minter.catalog_graph():
            graphs.setdefault(g, Graph()).add((s, p, o))
    return graphs


@pytest.mark.embedded_only   # compares two stores; one SPARQL server is one store
def test_mapping_files_in_parallel_workers_loads_the_same_graph(kg, tmp_path, monkeypatch):
    from kg.config import Settings
    from kg.store import KnowledgeGraph

    demo = DATA.parent.parent / "demo" / "data"
    sources = [demo / "projects", demo / "researchers", demo / "works"]
    monkeypatch.setattr("ingest.pipeline.PARALLEL_MIN_BYTES", 0)   # the demo is small; use workers anyway
    parallel = ingest_paths(kg, sources, skip_invalid=True, workers=2)

    with KnowledgeGraph(Settings(data_dir=tmp_path / "serial")) as serial_kg:
        serial = ingest_paths(serial_kg, sources, skip_invalid=True, workers=1)
        expected = _graphs_outside_the_catalog(serial_kg)
        found = _graphs_outside_the_catalog(kg)
    assert found.keys() == expected.keys()
    assert all(isomorphic(found[name], expected[name]) for name in expected)
    assert [f.source_id for f in parallel.files] == [f.source_id for f in serial.files]
    assert [f.records for f in parallel.files] == [f.records for f in serial.files]
    assert parallel.rejects == serial.rejects > 0


def test_a_bad_row_found_by_a_worker_process_still_names_file_line_and_field(kg, monkeypatch):
    monkeypatch.setattr("ingest.pipeline.PARALLEL_MIN_BYTES", 0)
    with pytest.raises(InputError) as caught:
        ingest_paths(kg, [PROJECTS / "projects_zh.jsonl", PROJECTS / "bad_rows.csv"], workers=2)
    assert caught.value.location.file.endswith("bad_rows.csv")
    assert caught.value.location.line is not None and caught.value.location.field
    assert not _projects(kg)   # nothing was loaded


def test_a_report_written_to_a_missing_folder_is_one_line_not_a_traceback(runner, tmp_path):
    data = ["--data-dir", str(tmp_path / "d")]
    assert runner.invoke(main, data + ["--quiet", "ingest", "--no-publish", str(PROJECTS / "dailycafi_C0501_2022.csv")]).exit_code == 0
    result = runner.invoke(main, data + ["report", "gaps", "--format", "csv", "--output", f"{tmp_path}/no/such/folder/gaps.csv"])
    assert result.exit_code == 2 and "No such file or directory" in result.output, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)


def test_stats_says_when_the_views_lag_behind_the_graph(runner, tmp_path):
    data = ["--data-dir", str(tmp_path / "d"), "--quiet"]
    assert runner.invoke(main, data + ["ingest", str(PROJECTS / "dailycafi_C0501_2022.csv")]).exit_code == 0
    assert "do not show the last ingest" not in runner.invoke(main, data + ["stats"]).output
    assert runner.invoke(main, data + ["ingest", "--no-publish", str(PROJECTS / "suqingdong_C050101_2015.tsv")]).exit_code == 0
    lagging = runner.invoke(main, data + ["stats"])
    assert lagging.exit_code == 0 and "do not show the last ingest or remove yet" in lagging.output
    assert "run 'scipop publish'" in lagging.output
    published = runner.invoke(main, data[:-1] + ["publish"])   # not quiet: what the operator reads
    assert published.exit_code == 0, published.output
    assert "s: staff copy " in published.output and "; the public view: withheld set " in published.output
    assert "do not show the last ingest" not in runner.invoke(main, data + ["stats"]).output


def test_an_interrupted_publish_says_the_change_is_in_the_graph_and_how_to_publish(runner, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("cli.run_publish", interrupted)
    data = ["--data-dir", str(tmp_path / "d"), "--quiet"]
    result = runner.invoke(main, data + ["ingest", str(PROJECTS / "dailycafi_C0501_2022.csv")])
    assert result.exit_code == 1 and "Interrupted while publishing: the graph holds the change" in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    [source] = json.loads(runner.invoke(main, data + ["sources", "--format", "json"]).output)
    assert source["records"] == 4   # the ingest itself landed
    assert "run 'scipop publish'" in runner.invoke(main, data + ["stats"]).output
