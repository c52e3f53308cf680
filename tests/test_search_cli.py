"""The search commands as a liaison officer uses them: index, search, talent, who-could-popularize."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from kg.config import Settings
from kg.iri import Minter

DATA = Path(__file__).resolve().parent / "data" / "search"
SOURCES = [str(DATA / name) for name in ("projects.jsonl", "researchers.csv", "outputs.jsonl", "works.csv")]
MINT = Minter(Settings().base_iri)
WANG_WEI = str(MINT.person("nsfc", "P1001"))
OBLIGED_PROJECT = str(MINT.project("11927801"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> str:
    """The search story's sources ingested (and published) with the CLI itself."""
    from click.testing import CliRunner

    directory = str(tmp_path_factory.mktemp("search-cli") / "scipop-data")
    result = CliRunner().invoke(main, ["--data-dir", directory, "--quiet", "ingest", *SOURCES])
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(params=["whoosh", "tantivy"])
def scipop(request, runner, data_dir):
    """Run `scipop --data-dir … ARGS --search-engine ENGINE`."""

    def run(*args: str, expect: int = 0):
        result = runner.invoke(main, ["--data-dir", data_dir, "--quiet", *args, "--search-engine", request.param])
        assert result.exit_code == expect, result.output
        return result

    return run


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_index_then_check_reports_nothing(scipop):
    scipop("index", "--rebuild")
    assert scipop("index", "--check").output == ""


def test_search_prints_one_json_object_per_hit(scipop):
    hits = json_lines(scipop("search", "量子计算", "--kind", "project", "--format", "json").output)
    assert hits and all({"iri", "kind", "label", "score", "evidence"} <= set(hit) for hit in hits)
    assert all(hit["kind"] == "project" for hit in hits)


def test_search_filters_unpopularized_obliged_results(scipop):
    hits = json_lines(scipop("search", "--unpopularized", "--tier", "obliged", "--format", "json").output)
    assert OBLIGED_PROJECT in [hit["iri"] for hit in hits]
    assert all(hit["fields"]["tier"] == "obliged" and hit["fields"]["popularized"] == "no" for hit in hits)


def test_search_table_lists_the_hits(scipop):
    table = scipop("search", "Wei Wang", "--kind", "researcher").output
    assert WANG_WEI in table and table.splitlines()[0].startswith("kind")


def test_talent_with_department_and_region(scipop):
    hits = json_lines(scipop("talent", "量子计算", "--dept", "A", "--region", "北京", "--format", "json").output)
    assert hits[0]["iri"] == WANG_WEI and hits[0]["evidence"]
    table = scipop("talent", "量子计算", "--dept", "A", "--region", "北京").output
    assert WANG_WEI in table


def test_a_misspelt_region_is_named_rather_than_read_as_nobody_there(scipop):
    """The filter still applies as written (a stated region may be outside the province
    list), but an empty answer says the value is no region it knows, even with --quiet."""
    for command in (("talent", "量子计算"), ("search", "量子计算")):
        result = scipop(*command, "--region", "Bejing")
        assert "'Bejing' is not a province-level region" in result.output and "Beijing" in result.output
        found = scipop(*command, "--region", "Beijing")
        assert "not a province-level region" not in found.output and WANG_WEI in found.output


def test_who_could_popularize_takes_an_approval_number(scipop):
    hits = json_lines(scipop("who-could-popularize", "11927801", "--format", "json").output)
    assert hits[0]["iri"] == WANG_WEI


@pytest.mark.parametrize("args", [
    ("search", '"quantum'),
    ("search", "*ab*"),
    ("search", "x" * 300),
    ("search", "--year", "2015-"),
    ("who-could-popularize", "99999999"),
])
def test_a_mistake_is_one_line_and_exit_status_2(scipop, args):
    result = scipop(*args, expect=2)
    assert result.output.startswith("Error: ") and "Fix:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_an_ingest_into_an_indexed_data_dir_leaves_search_up_to_date(runner, tmp_path, engine):
    """The server refuses an index older than the publication, so `scipop ingest` must bring
    the indexes along; otherwise search would be down until someone ran `scipop index`."""
    base = ["--data-dir", str(tmp_path / "data"), "--quiet"]
    engine_option = ["--search-engine", engine]
    for args in (["ingest", *SOURCES], ["index", "--rebuild", *engine_option]):
        result = runner.invoke(main, base + args, env={"SCIPOP_SEARCH_ENGINE": engine})
        assert result.exit_code == 0, result.output
    more = Path(__file__).resolve().parent / "data" / "projects" / "dailycafi_C0501_2022.csv"
    result = runner.invoke(main, base + ["ingest", str(more)], env={"SCIPOP_SEARCH_ENGINE": engine})
    assert result.exit_code == 0, result.output

    check = runner.invoke(main, base + ["index", "--check", *engine_option])
    assert check.exit_code == 0 and check.output == "", check.output


@pytest.mark.embedded_only
def test_build_makes_the_indexes_with_the_engine_the_environment_names(runner, tmp_path):
    """A research office sets SCIPOP_SEARCH_ENGINE=tantivy once, as the README says, and
    runs `scipop build`: both views are indexed with Tantivy, and searches find them."""
    from search.store import IndexLocation

    directory = tmp_path / "scipop-data"
    env = {"SCIPOP_DATA_DIR": str(directory), "SCIPOP_SEARCH_ENGINE": "tantivy"}
    built = runner.invoke(main, ["--quiet", "build", *SOURCES], env=env)
    assert built.exit_code == 0, built.output
    settings = Settings(data_dir=directory)
    for view in ("public", "full"):
        assert IndexLocation.of(settings, view, "tantivy").current() is not None
        assert IndexLocation.of(settings, view, "whoosh").current() is None
    found = runner.invoke(main, ["--quiet", "search", "量子计算", "--format", "json"], env=env)
    assert found.exit_code == 0 and json_lines(found.output)
    # A flag beats the environment, before the command's name as after it.
    for flags in (["--search-engine", "whoosh", "index", "--check"], ["index", "--check", "--search-engine", "whoosh"]):
        checked = runner.invoke(main, flags, env=env)
        assert "no public search index for whoosh" in checked.output, (flags, checked.output)

    # Served later without the setting, the server reads the index that was built, at once
    # (another engine's index would answer 503 until the server had built it).
    import json as json_module
    import os
    import urllib.request

    from server_fixture import free_port, running_server

    port = str(free_port())
    served = {k: v for k, v in os.environ.items() if not k.startswith("SCIPOP_")} | {"SCIPOP_DATA_DIR": str(directory)}
    with running_server(["--port", port], served, tmp_path / "serve.log") as base:
        with urllib.request.urlopen(base + "/api/search?q=%E9%87%8F%E5%AD%90%E8%AE%A1%E7%AE%97", timeout=30) as answer:
            assert answer.status == 200 and json_module.load(answer)["hits"]
