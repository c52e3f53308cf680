"""The `scipop` command line: the layer above kg/, ingest/, search/ and web.

Every option can also be set by an environment variable: the shared ones are named in
--help (SCIPOP_DATA_DIR, SCIPOP_BASE_IRI, SCIPOP_STORE_URL, SCIPOP_QUIET); the others
follow click's SCIPOP_<COMMAND>_<OPTION> rule, e.g. SCIPOP_INGEST_SKIP_INVALID=1.
A user mistake prints one sentence and a suggested fix, and exits with status 2.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from kg.config import DEFAULT_BASE_IRI, Settings
from kg.errors import ScipopError
from kg.store import KnowledgeGraph

DEMO_DATA = Path(__file__).resolve().parent / "demo" / "data"
DEMO_PARTS = ("projects", "researchers", "outputs", "works")


class Context:
    def __init__(self, settings: Settings, quiet: bool) -> None:
        self.settings = settings
        self.quiet = quiet

    def open_graph(self, read_only: bool = False) -> KnowledgeGraph:
        return KnowledgeGraph(self.settings, read_only=read_only)

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


pass_context = click.make_pass_decorator(Context)


class UserMistake(click.ClickException):
    """A ScipopError as click shows it: one sentence, a fix, exit status 2."""

    exit_code = 2

    def __init__(self, error: ScipopError) -> None:
        super().__init__(error.one_line())
        self.error = error

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class ScipopGroup(click.Group):
    """Turns every ScipopError raised by a command into a UserMistake, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScipopError as error:
            raise UserMistake(error) from error


@click.group(cls=ScipopGroup, context_settings={"auto_envvar_prefix": "SCIPOP", "help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("scipop-data"),
              envvar="SCIPOP_DATA_DIR", show_default=True, help="Where the store, index, logs and reject reports live.")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, envvar="SCIPOP_BASE_IRI", show_default=True,
              help="Base of every entity IRI.")
@click.option("--store-url", default=None, envvar="SCIPOP_STORE_URL",
              help="A SPARQL 1.1 Query+Update endpoint to use instead of the embedded store.")
@click.option("--quiet", "-q", is_flag=True, envvar="SCIPOP_QUIET", help="No progress bars or chatter.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path, base_iri: str, store_url: str | None, quiet: bool) -> None:
    """SciPop KG: the funder's science-popularization knowledge graph."""
    try:
        settings = Settings(data_dir=data_dir, base_iri=base_iri, store_url=store_url)
    except ScipopError as error:
        raise UserMistake(error) from error
    ctx.obj = Context(settings, quiet)


# Ingest -----------------------------------------------------------------------------------
def _progress(context: Context):
    """A progress callback for the pipeline: one bar, records as the unit, the current file as its label."""
    bar = tqdm(unit=" records", disable=context.quiet, file=sys.stderr, leave=False)
    seen: dict[str, int] = {}

    def update(label: str, records: int) -> None:
        bar.set_description(label[:40], refresh=False)
        bar.update(records - seen.get(label, 0))
        seen[label] = records

    return update


def run_ingest(context: Context, paths: list[Path], fmt: str, encoding: str | None, skip_invalid: bool,
               publish: bool = True):
    from ingest.pipeline import ingest_paths

    with context.open_graph() as kg:
        summary = ingest_paths(kg, paths, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid,
                               progress=_progress(context))
        context.say(f"Loaded {summary.records} records ({summary.triples} triples) from {len(summary.files)} files "
                    f"in {summary.seconds:.1f} s.")
        if summary.reject_report:
            context.say(f"{summary.rejects} records were rejected; see {summary.reject_report}.")
        if publish and not context.settings.store_url:
            run_publish(context, kg)
    return summary


def run_publish(context: Context, kg: KnowledgeGraph) -> None:
    from kg.publish import publish

    publication = publish(kg)
    context.say(f"Published {publication.stamp}: the public view holds {publication.public_triples} triples; "
                f"{publication.withheld_entities} restricted entities withheld ({publication.seconds:.1f} s).")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True, help="Source format, or auto to detect it per file.")
@click.option("--encoding", default=None, help="Text encoding of the files (default: detect UTF-8/GB18030).")
@click.option("--skip-invalid", is_flag=True, help="Load the good records and write the bad ones to a reject report.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Refresh the read-only staff and public views afterwards.")
@pass_context
def ingest(context: Context, paths: tuple[Path, ...], fmt: str, encoding: str | None, skip_invalid: bool,
           publish: bool) -> None:
    """Load source files (or directories of them) into the graph, all or nothing."""
    run_ingest(context, list(paths), fmt, encoding, skip_invalid, publish)


@main.command("publish")
@pass_context
def publish_command(context: Context) -> None:
    """Refresh the read-only views: 'full' for staff, 'public' without any restricted record."""
    with context.open_graph() as kg:
        run_publish(context, kg)


@main.command()
@click.option("--demo", is_flag=True, help="Build from the bundled demo data set.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_context
def build(context: Context, demo: bool, paths: tuple[Path, ...]) -> None:
    """Build the graph from source files (or the demo set), then print what it holds."""
    if demo:
        paths = tuple(DEMO_DATA / part for part in DEMO_PARTS)
    if not paths:
        raise click.UsageError("Give source paths, or --demo for the bundled demo data.")
    # The demo set has a few deliberately dirty rows: show the reject report instead of stopping.
    run_ingest(context, list(paths), "auto", None, skip_invalid=demo)
    with context.open_graph() as kg:
        _print_stats(kg, "table")


# Reading ----------------------------------------------------------------------------------
def _print_stats(kg: KnowledgeGraph, fmt: str) -> None:
    from kg.stats import graph_stats

    stats = graph_stats(kg)
    if fmt == "json":
        click.echo(json.dumps(stats.to_json(), ensure_ascii=False, indent=1))
        return
    click.echo("Entities")
    for name, count in stats.classes.items():
        click.echo(f"  {name:<24}{count:>10}")
    click.echo(f"Triples {stats.triples} in {len(stats.graphs)} named graphs")
    for graph, count in stats.graphs.items():
        click.echo(f"  {count:>10}  {graph}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def stats(context: Context, fmt: str) -> None:
    """Counts per class and per named graph."""
    with context.open_graph(read_only=True) as kg:
        _print_stats(kg, fmt)


@main.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=10_000, show_default=True, help="Most rows to print.")
@pass_context
def query(context: Context, sparql: str, fmt: str, limit: int) -> None:
    """Run a read-only SPARQL SELECT or ASK query ('-' reads it from standard input)."""
    from kg.sparql import render, run_select

    text = sys.stdin.read() if sparql == "-" else sparql
    with context.open_graph(read_only=True) as kg:
        table = run_select(kg, text, limit=limit)
    click.echo(render(table, fmt))


@main.command()
@pass_context
def validate(context: Context) -> None:
    """Check every source graph against the SHACL shapes; exit 1 when something violates them."""
    from kg.validation import format_violations, validate as run_validation

    with context.open_graph(read_only=True) as kg:
        violations = run_validation(kg)
    for line in format_violations(violations):
        click.echo(line)
    if violations:
        context.say(f"{len(violations)} violations.")
        sys.exit(1)
    context.say("No violations.")


# Data -------------------------------------------------------------------------------------
@main.command("demo-data")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--projects", default=700, show_default=True, help="How many projects to generate.")
@click.option("--seed", default=7, show_default=True, help="Random seed; the same seed gives the same files.")
@pass_context
def demo_data(context: Context, outdir: Path, projects: int, seed: int) -> None:
    """Write realistic synthetic source files in every supported format."""
    from demo.generator import generate

    with tqdm(total=projects, unit=" projects", disable=context.quiet, file=sys.stderr) as bar:
        summary = generate(outdir, projects=projects, seed=seed, progress=bar.update)
    context.say(f"Wrote {summary.projects} projects, {summary.researchers} researchers, {summary.outputs} outputs "
                f"and {summary.works} works to {outdir} in {summary.seconds:.1f} s.")


@main.command("extract-grants")
@pass_context
def extract_grants(context: Context) -> None:
    """Find NSFC approval numbers in statements on standard input (JSON lines with 'text', or plain lines)."""
    from kg.grants import find_nsfc_grants

    for line in sys.stdin:
        if not line.strip():
            continue
        text, record_id = line.rstrip("\n"), None
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
                text, record_id = str(record.get("text", "")), record.get("id")
            except json.JSONDecodeError:
                pass  # not JSON after all: treat the line as plain text
        mentions = find_nsfc_grants(text)
        out = {"id": record_id} if record_id is not None else {}
        out["grants"] = [
            {"approval_number": m.approval_number, "evidence": m.evidence, "start": m.start, "end": m.end,
             "confidence": m.confidence, "method": m.method} for m in mentions]
        click.echo(json.dumps(out, ensure_ascii=False))


# Serve (web front end, SPARQL endpoint, linked data) ----------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 exposes the server.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Request threads.")
@click.option("--engine", default=None, help="Search engine of the index (default: the index's own).")
@pass_context
def serve(context: Context, host: str, port: int, threads: int, engine: str | None) -> None:
    """Run the web pages, JSON API, SPARQL endpoint and linked data under waitress."""
    import os

    from waitress import serve as waitress_serve

    from kg.publish import current_stamp
    from web import create_app

    if current_stamp(context.settings) is None and not context.settings.store_url:
        context.say("Nothing is published yet: pages will answer 404 until `scipop build --demo` or `scipop publish`.")
    config = {"settings": context.settings}
    if engine:
        config["SCIPOP_SEARCH_ENGINE"] = engine
    app = create_app({**{k: v for k, v in os.environ.items() if k.startswith("SCIPOP_")}, **config})
    context.say(f"Serving {context.settings.data_dir} on http://{host}:{port}/ ({threads} threads). Ctrl-C stops.")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="scipop", clear_untrusted_proxy_headers=True,
                       max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    finally:
        app.extensions["scipop"].sparql.close()


if __name__ == "__main__":
    main()
