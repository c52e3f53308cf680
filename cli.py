"""The `scipop` command line: the layer above kg/, ingest/, search/ and web.

Every option can also be set by an environment variable: the shared ones are named in
`scipop --help` (SCIPOP_DATA_DIR, SCIPOP_BASE_IRI, SCIPOP_STORE_URL, SCIPOP_QUIET,
SCIPOP_SEARCH_ENGINE); the others
follow click's SCIPOP_<COMMAND>_<OPTION> rule, e.g. SCIPOP_INGEST_SKIP_INVALID=1.
A user mistake prints one sentence and a suggested fix, and exits with status 2.
"""
from __future__ import annotations

import errno
import io
import json
import math
import os
import select
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from tqdm import tqdm

from kg import derive
from kg.apart import Apart
from kg.config import DEFAULT_BASE_IRI, Settings
from kg.errors import ConfigError, ScipopError
from kg.store import KnowledgeGraph

if TYPE_CHECKING:   # kg.publish and search are imported by the commands that use them, when they do
    from kg.publish import Phases
    from search.index import UpdateReach

DEMO_DATA = Path(__file__).resolve().parent / "demo" / "data"
DEMO_PARTS = ("projects", "researchers", "outputs", "works")


def plural(n: int, noun: str) -> str:
    """'1 record', '2 records': the CLI's own messages are English (reports use kg.texts.count)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


class Context:
    def __init__(self, settings: Settings, quiet: bool, search_engine: str | None = None) -> None:
        self.settings = settings
        self.quiet = quiet
        self.search_engine = search_engine   # chosen by flag or environment; None: the default

    def open_graph(self, read_only: bool = False) -> KnowledgeGraph:
        return KnowledgeGraph(self.settings, read_only=read_only)

    def open_existing_graph(self) -> KnowledgeGraph:
        """The graph to change, for commands that only make sense on one: a mistyped --data-dir
        is told there is no graph there, rather than given an empty one."""
        with self.open_graph(read_only=True):
            pass
        return self.open_graph()

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)

    def warn(self, message: str) -> None:
        """What the user must know even with --quiet (records set aside are not chatter)."""
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

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            ctx = super().make_context(info_name, list(args), parent=parent, **extra)
        except click.BadParameter as error:
            raise _from_environment(error, list(args)) from error
        ctx.meta[ARGS_KEY] = list(args)   # what was typed, to tell a flag from an environment variable
        return ctx

    def _misplaced(self, error: click.NoSuchOption, ctx: click.Context) -> click.ClickException:
        """`scipop build --demo --quiet`: an option of scipop itself, given after the command."""
        if error.option_name not in _global_flags(self) or not ctx.invoked_subcommand:
            return error
        return UserMistake(ConfigError(
            f"{error.option_name} is an option of scipop itself, not of '{ctx.invoked_subcommand}'.",
            f"Put it before the command: scipop {error.option_name} {ctx.invoked_subcommand} …"))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.BadParameter as error:
            raise _from_environment(error, ctx.meta.get(ARGS_KEY, [])) from error
        except click.NoSuchOption as error:
            raise self._misplaced(error, ctx) from error
        except ScipopError as error:
            raise UserMistake(error) from error
        except BrokenPipeError as error:
            if not _reader_gone():
                raise UserMistake(_system_refusal(error)) from error
            # `scipop sources | head`: the reader has all it wanted. End quietly, as other Unix
            # tools do (status 141, killed by SIGPIPE), without Python's flush error at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except OSError as error:
            # A path the user gave (or the data directory) cannot be read, made or written, or
            # the address `serve` was given is taken.
            raise UserMistake(_system_refusal(error)) from error


ARGS_KEY = "scipop.args"


def _global_flags(group: click.Group) -> set[str]:
    return {flag for param in group.params for flag in param.opts + param.secondary_opts}


def _from_environment(error: click.BadParameter, args: list[str]) -> click.ClickException:
    """A bad option value that came from an environment variable names the variable: the
    user typed no such flag, so "Invalid value for '--quiet'" would send them looking for it."""
    param, ctx = error.param, error.ctx
    if not isinstance(param, click.Option) or ctx is None:
        return error
    flags = param.opts + param.secondary_opts
    typed = any(arg == flag or arg.startswith(flag + "=") for arg in args for flag in flags)
    name = param.resolve_envvar_value(ctx) is not None and _envvar_name(param, ctx)
    if typed or not name:
        return error
    return UserMistake(ConfigError(
        f"The environment variable {name}={os.environ[name]!r} (for {flags[0]}) is not valid: {error.message}",
        f"Correct {name}, or unset it."))


def _envvar_name(param: click.Option, ctx: click.Context) -> str | None:
    """The environment variable the option's value was read from."""
    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
    if ctx.auto_envvar_prefix and param.name:
        names.append(f"{ctx.auto_envvar_prefix}_{param.name.upper()}")
    return next((name for name in names if os.environ.get(name)), None)


def _reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False


def _system_refusal(error: OSError) -> ScipopError:
    reason = error.strerror or str(error)
    if isinstance(error, socket.gaierror):
        return ConfigError(f"Cannot find that host to listen on: {reason}.",
                           "Pass --host an address of this machine, e.g. 127.0.0.1 (or 0.0.0.0 for every interface).")
    if error.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
        return ConfigError(f"Cannot listen on that address: {reason}.",
                           "Stop the server already using it, or pass another --port or --host.")
    if error.filename:
        return ConfigError(f"Cannot use '{error.filename}': {reason}.",
                           "Check that the path exists, that a folder is not a file (or the reverse), and that it "
                           "can be written; set --data-dir or --output to another place if not.")
    return ConfigError(f"The system refused: {reason}.",
                       "Check the paths and the address given, and that the disk has room.")


def _finite(value: float | None, param: click.Parameter) -> float | None:
    # FloatRange lets "nan" and "inf" through: every comparison with them would be false.
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of gigabytes.", param=param)
    return value


@click.group(cls=ScipopGroup, context_settings={"auto_envvar_prefix": "SCIPOP", "help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("scipop-data"),
              envvar="SCIPOP_DATA_DIR", show_envvar=True, show_default=True, help="Where the store, index, logs and reject reports live.")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, envvar="SCIPOP_BASE_IRI", show_envvar=True, show_default=True,
              help="Base of every entity IRI.")
@click.option("--store-url", default=None, envvar="SCIPOP_STORE_URL", show_envvar=True,
              help="A SPARQL 1.1 Query+Update endpoint to use instead of the embedded store.")
@click.option("--quiet", "-q", is_flag=True, envvar="SCIPOP_QUIET", show_envvar=True, help="No progress bars or chatter.")
@click.option("--search-engine", type=click.Choice(["whoosh", "tantivy"]), default=None, envvar="SCIPOP_SEARCH_ENGINE", show_envvar=True,
              help="Search engine the indexes are built with and read from [default: whoosh; serve: the "
                   "index's own]; tantivy is much faster on large graphs.")
@click.option("--memory-gb", type=click.FloatRange(min=0, min_open=True), default=None, envvar="SCIPOP_MEMORY_GB",
              show_envvar=True, callback=lambda ctx, param, value: _finite(value, param),
              help="Memory the public and full views' index builds may take together, in GB: they run side by side "
                   "only when both fit, else one after the other [default: what the system has available].")
@click.pass_context
def main(ctx: click.Context, data_dir: Path, base_iri: str, store_url: str | None, quiet: bool,
         search_engine: str | None, memory_gb: float | None) -> None:
    """SciPop KG: the funder's science-popularization knowledge graph."""
    try:
        settings = Settings(data_dir=data_dir, base_iri=base_iri, store_url=store_url, memory_gb=memory_gb).with_overrides(
            search_engine=search_engine)
    except ScipopError as error:
        raise UserMistake(error) from error
    ctx.obj = Context(settings, quiet, search_engine)


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
               publish: bool = True, workers: int | None = None, refresh_derived: bool = True,
               allow_empty: bool = False):
    from ingest import registry
    from ingest.pipeline import ingest_paths

    if fmt != "auto":
        registry.by_name(fmt)   # a mistyped --format is refused before a store is opened or made
    with context.open_graph() as kg:
        summary = ingest_paths(kg, paths, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid,
                               progress=_progress(context), workers=workers, refresh_derived=refresh_derived,
                               allow_empty=allow_empty)
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.phases.items())
        context.say(f"Loaded {plural(summary.records, 'record')} ({plural(summary.triples, 'triple')}) from "
                    f"{plural(len(summary.files), 'file')} in {summary.seconds:.1f} s ({phases}).")
        for warning in summary.warnings:
            context.warn(warning)
        if summary.reject_report:
            rejected = "1 record was" if summary.rejects == 1 else f"{summary.rejects} records were"
            context.warn(f"{rejected} rejected; see {summary.reject_report}.")
        maybe_publish(context, kg, publish)
    return summary


def maybe_publish(context: Context, kg: KnowledgeGraph, publish: bool, derive_first: bool = False) -> None:
    """Refresh the read-only views after a change, when asked and when the store is embedded,
    and bring their existing search indexes up to date: the server will not serve an index
    older than the publication, so without this search would be down until `scipop index`.
    `derive_first`: refresh the derived facts first, whether or not it publishes."""
    if publish and not context.settings.store_url:
        try:
            run_publish(context, kg, derive_first=derive_first)
            update_search_indexes(context)
        except KeyboardInterrupt:
            # The change itself is in the graph (its write committed); only the views lag.
            context.warn("Interrupted while publishing: the graph holds the change, but the web service and "
                         "search still show the previous publication. Run 'scipop publish' (and 'scipop index') "
                         "to bring them up to date.")
            raise click.Abort() from None
    elif derive_first:
        refresh_derived(kg)


def update_search_indexes(context: Context) -> None:
    """Every existing index of either view, whichever engine built it."""
    from search import ENGINES, index_exists

    for engine in ENGINES:
        views = [view for view in ("public", "full") if index_exists(_search_settings(context, engine), view)]
        build_search_indexes(context, views, rebuild=False, search_engine=engine)


def run_publish(context: Context, kg: KnowledgeGraph, derive_first: bool = False):
    """Publish; `derive_first`: the derived facts are stale (identities changed), refresh them
    first (on a large graph, while the public view is made)."""
    from kg.publish import publish

    publication = publish(kg, derive_first=derive_first)
    context.say(f"Published {publication.stamp}: the public view holds {publication.public_triples} triples; "
                f"{publication.withheld_entities} restricted entities withheld ({publication.seconds:.1f} s: "
                f"{describe_phases(publication.phases)}).")
    return publication


def describe_phases(phases: Phases) -> str:
    """A publish's steps and their seconds, the public view's apart: 'derive 40.1 s, …; the
    public view (made meanwhile by a second process): copy 118.8 s, …'."""
    made = "the public view (made meanwhile by a second process)" if phases.meanwhile else "the public view"
    return "; ".join(filter(None, [_listed(phases.seconds),
                                   f"{made}: {_listed(phases.public_view)}" if phases.public_view else ""]))


def _listed(steps: dict[str, float]) -> str:
    return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items())


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True, help="Source format, or auto to detect it per file.")
@click.option("--encoding", default=None, help="Text encoding of the files (default: detect UTF-8/GB18030).")
@click.option("--skip-invalid", is_flag=True, help="Load the good records and write the bad ones to a reject report.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Refresh the read-only staff and public views afterwards.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that map files in parallel (default: one per core, up to 4).")
@click.option("--allow-empty", is_flag=True,
              help="Let a file without records replace a source that holds some (refused otherwise).")
@pass_context
def ingest(context: Context, paths: tuple[Path, ...], fmt: str, encoding: str | None, skip_invalid: bool,
           publish: bool, workers: int | None, allow_empty: bool) -> None:
    """Load source files (or directories of them) into the graph, all or nothing."""
    run_ingest(context, list(paths), fmt, encoding, skip_invalid, publish, workers, allow_empty=allow_empty)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def sources(context: Context, fmt: str) -> None:
    """The ingested source files, by the name 'remove' and a re-ingest know them."""
    from kg import catalog

    with context.open_graph(read_only=True) as kg:
        entries = catalog.sources(kg)
        totals = catalog.record_counts(kg)
    rows = [{"name": str(e["name"]), "format": str(e["format"]), "records": int(e["records"]),
             "restricted": totals[str(e["name"])] - int(e["records"]), "rejects": int(e["rejects"]),
             "loaded": str(e["loaded"])} for e in sorted(entries, key=lambda e: str(e["name"]))]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    click.echo(f"{'records':>8} {'restricted':>10} {'rejects':>8}  {'loaded (UTC)':<20} {'format':<14} name")
    for row in rows:
        click.echo(f"{row['records']:>8} {row['restricted']:>10} {row['rejects']:>8}  {row['loaded'][:19]:<20} "
                   f"{row['format']:<14} {row['name']}")


@main.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--link/--no-link", default=True, show_default=True,
              help="Resolve identities again without the removed records (when the graph was linked), so "
                   "that no identity, and no evidence text, rests on them.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Refresh the read-only views (and their search indexes) afterwards.")
@pass_context
def remove(context: Context, names: tuple[str, ...], link: bool, publish: bool) -> None:
    """Take ingested sources out of the graph by name (see 'sources'), all or none.

    The copy of each file under sources/ is kept."""
    from ingest.pipeline import remove_sources

    with context.open_existing_graph() as kg:
        relink = link and kg.minter.links_graph() in kg.graph_names()
        removed = remove_sources(kg, names, refresh_derived=not relink)
        for source in removed:
            context.say(f"Removed {source.name} ({plural(source.records, 'record')}).")
        if relink:
            summary = run_link(context, kg)
            context.say(f"Linked {summary.persons} person IRIs into {summary.person_clusters} people again.")
        maybe_publish(context, kg, publish, derive_first=relink)


@main.command("publish")
@pass_context
def publish_command(context: Context) -> None:
    """Refresh the read-only views: 'full' for staff, 'public' without any restricted record."""
    with context.open_existing_graph() as kg:
        run_publish(context, kg)


@main.command()
@click.option("--demo", is_flag=True, help="Build from the bundled demo data set.")
@click.option("--skip-invalid", is_flag=True,
              help="Set bad records aside in a reject report instead of refusing the file (always so with --demo).")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_context
def build(context: Context, demo: bool, skip_invalid: bool, paths: tuple[Path, ...]) -> None:
    """Build the graph from source files (or the demo set), then print what it holds."""
    if demo:
        paths = tuple(DEMO_DATA / part for part in DEMO_PARTS)
    if not paths:
        raise click.UsageError("Give source paths, or --demo for the bundled demo data.")
    # The demo set has a few deliberately dirty rows: show the reject report instead of stopping.
    # Linking changes identities next, and the facts are derived once after it.
    run_ingest(context, list(paths), "auto", None, skip_invalid=demo or skip_invalid, publish=False,
               refresh_derived=False)
    with context.open_graph() as kg:
        summary = run_link(context, kg)
        context.say(f"Linked {summary.persons} person IRIs into {summary.person_clusters} people.")
        if context.settings.store_url:
            refresh_derived(kg)
        else:
            run_publish(context, kg, derive_first=True)
        _print_stats(kg, "table")
    if not context.settings.store_url:
        build_search_indexes(context, ["public", "full"], rebuild=True)


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
    click.echo(f"  {'people (after linking)':<24}{stats.people:>10}")
    click.echo(f"Triples {stats.triples} in {len(stats.graphs)} named graphs")
    for graph, count in stats.graphs.items():
        click.echo(f"  {count:>10}  {graph}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def stats(context: Context, fmt: str) -> None:
    """Counts per class and per named graph."""
    from kg.publish import views_behind

    with context.open_graph(read_only=True) as kg:
        _print_stats(kg, fmt)
        if views_behind(kg):
            context.warn("The web service and search do not show the last ingest or remove yet (the published "
                         "views are older, or missing); run 'scipop publish' to bring them up to date.")


@main.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=10_000, show_default=True, type=click.IntRange(1, None), help="Most rows to print.")
@pass_context
def query(context: Context, sparql: str, fmt: str, limit: int) -> None:
    """Run a read-only SPARQL SELECT or ASK query ('-' reads it from standard input)."""
    from kg.sparql import render, run_select

    text = _utf8(sys.stdin.buffer.read(), 1) if sparql == "-" else sparql
    if sparql != "-" and sparql.strip().endswith((".rq", ".sparql")) and Path(sparql.strip()).is_file():
        from kg.errors import QueryError

        raise QueryError(f"'{sparql.strip()}' is a file name, not a query.",
                         f"Pass the query's text, or read the file with: scipop query - < {sparql.strip()}")
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
@click.option("--projects", default=700, show_default=True, type=click.IntRange(min=1),
              help="How many projects to generate.")
@click.option("--seed", default=7, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option("--after", default=0, show_default=True, type=click.IntRange(0), metavar="N",
              help="Write the PROJECTS projects that follow the first N of this seed instead: new records, with new "
                   "and existing researchers, to ingest into a graph built from the N-project set.")
@pass_context
def demo_data(context: Context, outdir: Path, projects: int, seed: int, after: int) -> None:
    """Write realistic synthetic source files in every supported format."""
    from demo.generator import generate

    with tqdm(total=after + projects, unit=" projects", disable=context.quiet, file=sys.stderr) as bar:
        summary = generate(outdir, projects=projects, seed=seed, progress=bar.update, after=after)
    context.say(f"Wrote {summary.projects} projects, {summary.researchers} researchers, {summary.outputs} outputs "
                f"and {summary.works} works to {outdir} in {summary.seconds:.1f} s.")


def _utf8(data: bytes, first_line: int) -> str:
    """Bytes from standard input as text, refused when they are not UTF-8: read as text, GBK input
    made a query fail with a traceback and grant extraction silently find nothing."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        from kg.errors import InputError, Location

        line = first_line + data.count(b"\n", 0, error.start)
        raise InputError(Location(file="standard input", line=line), "is not UTF-8 text",
                         hint="Convert it first, e.g. `iconv -f GB18030 -t UTF-8 file | scipop …`.") from error


@main.command("extract-grants")
@pass_context
def extract_grants(context: Context) -> None:
    """Find NSFC approval numbers in statements on standard input (JSON lines with 'text', or plain lines)."""
    from kg.grants import find_nsfc_grants

    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line = _utf8(raw, number)
        if not line.strip():
            continue
        text, record_id = line.rstrip("\r\n"), None
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
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Request threads (per worker process).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; above 1, gunicorn runs them (one process uses about one core).")
@click.option("--engine", type=click.Choice(["whoosh", "tantivy"]), default=None,
              help="Search engine of the index (default: the global --search-engine, else the index's own).")
@pass_context
def serve(context: Context, host: str, port: int, threads: int, workers: int, engine: str | None) -> None:
    """Run the web pages, JSON API, SPARQL endpoint and linked data (waitress; gunicorn with --workers)."""
    import secrets

    from kg.publish import current_stamp
    from web import create_app
    from webapp.config import load_config
    from webapp.serving import ServeOptions, address_url
    from webapp.serving import serve as run_server

    if not context.settings.store_url and not context.settings.data_dir.is_dir():
        raise ConfigError(f"There is no data directory at {context.settings.data_dir}.",
                          "Build one with `scipop build --demo`, or pass --data-dir (SCIPOP_DATA_DIR) the one you built.")
    if current_stamp(context.settings) is None and not context.settings.store_url:
        context.warn("Nothing is published yet: pages will answer 404 until `scipop build --demo` or `scipop publish`.")
    config = {**{k: v for k, v in os.environ.items() if k.startswith("SCIPOP_")}, "settings": context.settings}
    engine = engine or context.search_engine or _built_engine(context.settings)
    if engine:
        config["SCIPOP_SEARCH_ENGINE"] = engine
    load_config(config)  # configuration mistakes stop here, before any worker starts
    # Every worker must sign sessions with the same key, or a login made on one is void on another.
    if not config.get("SCIPOP_SECRET_KEY"):
        config["SCIPOP_SECRET_KEY"] = secrets.token_urlsafe(48)

    def listening() -> None:
        context.say(f"Serving {context.settings.data_dir} on {address_url(host, port)} "
                    f"({workers} worker{'s' if workers > 1 else ''} x {threads} threads). Ctrl-C stops.")

    run_server(lambda: create_app(config), ServeOptions(host=host, port=port, threads=threads, workers=workers),
               listening)


def _built_engine(settings: Settings) -> str | None:
    """The engine of the public index that exists, when no engine was chosen: serving another
    one would answer 503 until the server had built that engine's index from the graph."""
    try:
        from search import ENGINES, index_exists
    except ImportError:
        return None
    built = [name for name in ENGINES if index_exists(settings, "public", name)]
    return built[0] if len(built) == 1 else None


# Reports, recommendations and curation (issue 6) -----------------------------------------
# One implementation per report lives in kg/reports.py, kg/indicators.py and kg/recommend.py;
# these commands only choose the options and the output format (kg/export.py).
def _emit_report(context: Context, report, fmt: str, output: Path | None, table: str | None, lang: str) -> None:
    from kg.export import render

    text = render(report, fmt, output=output, table=table, lang=lang)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        context.say(f"Wrote {output}.")


_REPORT_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table",
                              show_default=True, help="csv holds one table (see --table); xlsx needs --output.")
_REPORT_OUTPUT = click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                              help="Write to this file instead of standard output.")
_REPORT_TABLE = click.option("--table", "table", default=None,
                             help="Only this table of the report, by key (e.g. compliance-obliged).")
_REPORT_YEAR = click.option("--year", type=click.IntRange(1986, 2100), default=None, help="Only projects approved that year.")
_REPORT_LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                            help="Language of titles, notes, labels and each item's reasons; column keys stay the same.")


@main.group("report")
def report_group() -> None:
    """Gap, compliance, indicator and curation reports, as tables, CSV, XLSX or JSON."""


@report_group.command("gaps")
@click.option("--by", type=click.Choice(["department", "code", "type", "tier", "institution", "year"]),
              default="department", show_default=True, help="How to group the projects.")
@_REPORT_YEAR
@click.option("--drill", default=None, metavar="GROUP",
              help="List the unpopularized projects and outputs of one group (a department letter, type, tier, "
                   "code prefix, institution name or IRI, or year), each with why it is listed.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(0, None),
              help="Most items per kind with --drill (0: all).")
@_REPORT_LANG
@_REPORT_FORMAT
@_REPORT_OUTPUT
@_REPORT_TABLE
@pass_context
def report_gaps(context: Context, by: str, year: int | None, drill: str | None, limit: int, lang: str, fmt: str,
                output: Path | None, table: str | None) -> None:
    """Unpopularized results: projects and outputs with no approved popular-science work."""
    from kg import reports

    with context.open_graph(read_only=True) as kg:
        if drill:
            found = reports.gap_items(kg, by=by, value=drill, year=year, limit=limit, lang=lang)
        else:
            found = reports.gap_report(kg, by=by, year=year, lang=lang)
        _emit_report(context, found, fmt, output, table, lang)


@report_group.command("compliance")
@click.option("--by", type=click.Choice(["department", "institution", "code", "type", "year"]), default=None,
              help="Group the counts (default: one row per tier).")
@_REPORT_YEAR
@click.option("--limit", default=50, show_default=True, type=click.IntRange(0, None),
              help="Most projects listed per tier (0: all).")
@_REPORT_LANG
@_REPORT_FORMAT
@_REPORT_OUTPUT
@_REPORT_TABLE
@pass_context
def report_compliance(context: Context, by: str | None, year: int | None, limit: int, lang: str, fmt: str,
                      output: Path | None, table: str | None) -> None:
    """Obliged-tier projects without popularization and concluded projects lacking the popularization field
    (the encouraged tier separately)."""
    from kg import reports

    with context.open_graph(read_only=True) as kg:
        _emit_report(context, reports.compliance_report(kg, by=by, year=year, limit=limit, lang=lang), fmt, output, table,
                     lang)


@report_group.command("indicators")
@click.option("--by", type=click.Choice(["department", "institution"]), default="department", show_default=True)
@_REPORT_YEAR
@_REPORT_LANG
@_REPORT_FORMAT
@_REPORT_OUTPUT
@_REPORT_TABLE
@pass_context
def report_indicators(context: Context, by: str, year: int | None, lang: str, fmt: str, output: Path | None,
                      table: str | None) -> None:
    """Popularization indicators per department or supporting institution and approval year (see docs/indicators.md)."""
    from kg.indicators import indicator_report

    with context.open_graph(read_only=True) as kg:
        _emit_report(context, indicator_report(kg, by=by, year=year, lang=lang), fmt, output, table, lang)


@report_group.command("curation")
@_REPORT_LANG
@_REPORT_FORMAT
@_REPORT_OUTPUT
@pass_context
def report_curation(context: Context, lang: str, fmt: str, output: Path | None) -> None:
    """Every representative-achievement flag and special-fund decision: who, when, about which project."""
    from kg.reports import curation_report

    with context.open_graph(read_only=True) as kg:
        _emit_report(context, curation_report(kg, lang=lang), fmt, output, None, lang)


@main.command()
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many to recommend.")
@click.option("--theme", default=None, help="A theme to fit, e.g. the theme of National Science Popularization Day.")
@click.option("--department", default=None, help="Only this department (A–H, T, or its name).")
@click.option("--year", type=click.IntRange(1986, 2100), default=None, help="Only projects approved that year.")
@click.option("--weights", default=None, metavar="NAME=W,…",
              help="Factor weights, e.g. significance=0.5,gap=0.3 (factors: significance, gap, tier, timeliness, "
                   "capacity; the others keep their defaults).")
@click.option("--include-decided", is_flag=True, help="Also list projects the centre has already selected or rejected.")
@click.option("--pool", default=2000, show_default=True, type=click.IntRange(1, None),
              help="How many of the most-cited outputs bring their projects into the candidates.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_REPORT_LANG
@pass_context
def recommend(context: Context, top: int, theme: str | None, department: str | None, year: int | None,
              weights: str | None, include_decided: bool, pool: int, fmt: str, lang: str) -> None:
    """Rank projects and their representative results for the special popularization fund, with each factor's share."""
    from kg import recommend as rec

    with context.open_graph(read_only=True) as kg:
        found = rec.recommend(kg, top=top, theme=theme, department=department, year=year,
                              weights=rec.parse_weights(weights), include_decided=include_decided, pool=pool, lang=lang)
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=1))
        return
    from kg.texts import say

    for rank, item in enumerate(found.items, start=1):
        shares = say("list", lang).join(f"{say('factor.' + name, lang)} {found.weights[name] * item.factors.get(name, 0.0):.3f}"
                                        for name in rec.FACTORS)
        click.echo(f"{rank:>3}. {item.score:.3f}  [{item.department}] {item.id} {item.label}")
        click.echo(f"       {shares}")
        if item.result:
            click.echo(f"       {say('recommend.result', lang)}: {item.result.get('doi') or item.result.get('iri')} "
                       f"{item.result.get('title', '')}")
        for reason in item.reasons:
            click.echo(f"       - {reason}")
    if not found.items:
        # Even with --quiet: an empty answer must say it is one, and why, if the notes know.
        context.warn("No project matches these criteria." + "".join(f" {note}" for note in found.notes))
        return
    for note in found.notes:
        context.say(say("note", lang, text=note))


@main.group("curate")
def curate_group() -> None:
    """Record departments' representative achievements and the centre's special-fund decisions (who and when)."""


_CURATE_PUBLISH = click.option("--publish/--no-publish", default=True, show_default=True,
                               help="Refresh the read-only staff and public views afterwards.")


@curate_group.command("representative")
@click.argument("project")
@click.option("--department", required=True, help="The recommending department (A–H, T, or its name).")
@click.option("--by", "curator", required=True, metavar="NAME", help="Who records the recommendation.")
@_CURATE_PUBLISH
@pass_context
def curate_representative(context: Context, project: str, department: str, curator: str, publish: bool) -> None:
    """Flag PROJECT (approval number or IRI) as a representative achievement of a department."""
    from kg.curation import flag_representative

    with context.open_graph() as kg:
        decision = flag_representative(kg, project, department, curator)
        context.say(f"Recorded: {decision.describe()}.")
        maybe_publish(context, kg, publish)


@curate_group.command("select")
@click.argument("project")
@click.option("--decision", type=click.Choice(["selected", "rejected"]), required=True)
@click.option("--by", "curator", required=True, metavar="NAME", help="Who records the decision.")
@_CURATE_PUBLISH
@pass_context
def curate_select(context: Context, project: str, decision: str, curator: str, publish: bool) -> None:
    """Record the centre's special-fund decision on PROJECT (approval number or IRI)."""
    from kg.curation import record_selection

    with context.open_graph() as kg:
        recorded = record_selection(kg, project, decision, curator)
        context.say(f"Recorded: {recorded.describe()}.")
        maybe_publish(context, kg, publish)



# Linking: one identity per person, institution and output (issue 3) -----------------------
# The work is in kg/linking/; `scipop build` runs the same run_linking after ingest.
def run_link(context: Context, kg: KnowledgeGraph):
    """Resolve identities and replace the links graph, with a progress bar over the stages."""
    from kg.linking import STAGES, run_linking

    with tqdm(total=STAGES, unit=" stages", disable=context.quiet, file=sys.stderr, leave=False) as bar:
        def progress(stage: str) -> None:
            bar.set_description(stage[:40], refresh=False)
            bar.update(1)

        with kg.write():
            return run_linking(kg, progress=progress)


def refresh_derived(kg: KnowledgeGraph) -> None:
    """Identities changed: recount what depends on them (output counts, tables)."""
    with kg.write():
        derive.refresh(kg)


def _print_linking(summary, fmt: str) -> None:
    data = summary.to_json()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"persons        {data['persons']:>9} IRIs -> {data['person_clusters']} people "
               f"({data['ambiguous_mentions']} name-only mentions left apart as ambiguous)")
    click.echo(f"institutions   {data['organizations']:>9} IRIs -> {data['organization_clusters']} institutions")
    click.echo(f"outputs        {data['outputs']:>9} IRIs -> {data['output_clusters']} outputs")
    click.echo(f"links graph    {data['same_as']:>9} owl:sameAs, {data['decisions']} merge decisions, "
               f"{data['kept_apart']} kept apart, {data['curator_decisions']} curator decisions")
    for method, count in data["methods"].items():
        click.echo(f"  {method:<14}{count:>9}")
    click.echo(f"in {data['seconds']} s")


@main.command("link")
@click.option("--curation", "curation_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV of curator decisions (action,a,b,curator[,note]) to record before linking.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Refresh the read-only staff and public views afterwards.")
@pass_context
def link_command(context: Context, curation_file: Path | None, fmt: str, publish: bool) -> None:
    """Resolve persons, institutions and outputs into one identity each (owl:sameAs in the links graph)."""
    from kg.linking.curation import import_csv

    with context.open_existing_graph() as kg:
        if curation_file is not None:
            with kg.write():
                changed = import_csv(kg, curation_file)
            context.say(f"Recorded {changed} curator decisions from {curation_file}.")
        summary = run_link(context, kg)
        _print_linking(summary, fmt)
        maybe_publish(context, kg, publish, derive_first=True)   # identities changed: recount


@main.command("explain-link")
@click.argument("a")
@click.argument("b")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_context
def explain_link_command(context: Context, a: str, b: str, fmt: str) -> None:
    """Say whether IRIs A and B are one entity, and on what evidence."""
    from kg.linking import explain_link

    with context.open_graph(read_only=True) as kg:
        lines = explain_link(kg, a, b)
    click.echo(json.dumps({"a": a, "b": b, "lines": lines}, ensure_ascii=False, indent=1) if fmt == "json"
               else "\n".join(lines))


def _record_identity(context: Context, a: str, b: str, same: bool, curator: str, note: str, relink: bool) -> None:
    from kg.linking.curation import record_decision

    with context.open_graph() as kg:
        with kg.write():
            decision = record_decision(kg, a, b, same, curator, note)
        context.say(f"Recorded: {decision.describe()}.")
        if relink:
            summary = run_link(context, kg)
            refresh_derived(kg)
            _print_linking(summary, "table")
        else:
            context.say("It takes effect at the next `scipop link` (or `scipop build`).")


@curate_group.command("merge")
@click.argument("a")
@click.argument("b")
@click.option("--by", "curator", required=True, metavar="NAME", help="Who decides.")
@click.option("--note", default="", help="Why, in a few words (kept with the decision).")
@click.option("--relink", is_flag=True, help="Run linking right away.")
@pass_context
def curate_merge(context: Context, a: str, b: str, curator: str, note: str, relink: bool) -> None:
    """Force IRIs A and B (two researchers, institutions or outputs) into one identity, whatever the evidence."""
    _record_identity(context, a, b, True, curator, note, relink)


@curate_group.command("split")
@click.argument("a")
@click.argument("b")
@click.option("--by", "curator", required=True, metavar="NAME", help="Who decides.")
@click.option("--note", default="", help="Why, in a few words (kept with the decision).")
@click.option("--relink", is_flag=True, help="Run linking right away.")
@pass_context
def curate_split(context: Context, a: str, b: str, curator: str, note: str, relink: bool) -> None:
    """Keep IRIs A and B apart for good, whatever the evidence."""
    _record_identity(context, a, b, False, curator, note, relink)


# Search, talent pool, unpopularized results (issue 4) ------------------------------------
# The work is done in search/ (search.open_index, build_index, update_index, check_index);
# these commands choose the options and print one table, or one JSON object per hit.
_SEARCH_VIEW = click.option("--view", type=click.Choice(["public", "full"]), default="public", show_default=True,
                            help="The public view, or the staff view that includes restricted records.")
_SEARCH_ENGINE = click.option("--search-engine", "search_engine", type=click.Choice(["whoosh", "tantivy"]),
                              default=None, envvar="SCIPOP_SEARCH_ENGINE",
                              help="Search engine [default: the global --search-engine (SCIPOP_SEARCH_ENGINE), else whoosh]; "
                                   "tantivy is much faster on large graphs.")


def _engine_given_here(search_engine: str | None) -> str | None:
    """A command's own --search-engine overrides the group's when it is on the command line; read
    from SCIPOP_SEARCH_ENGINE it does not, since the group read that variable too, and a flag
    before the command's name beats the variable there."""
    source = click.get_current_context().get_parameter_source("search_engine")
    return search_engine if source is click.core.ParameterSource.COMMANDLINE else None


_SEARCH_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                              show_default=True, help="A table, or one JSON object per hit.")


def _search_settings(context: Context, search_engine: str | None) -> Settings:
    return context.settings.with_overrides(search_engine=search_engine)


def _open_search(context: Context, view: str, search_engine: str | None):
    """The index of a view, brought up to date first when the graph has changed since it was built."""
    from search import IndexNotReady, open_index

    settings = _search_settings(context, _engine_given_here(search_engine))
    try:
        return open_index(settings, view)
    except IndexNotReady as reason:
        context.say(f"{reason.message} Updating it first …")
        return open_index(settings, view, auto_build=True)


def _cell(value, width: int) -> str:
    """Text cut and padded to `width` terminal columns (a Chinese character takes two)."""
    import unicodedata

    def columns(char: str) -> int:
        return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1

    text = "" if value is None else str(value)
    if sum(columns(c) for c in text) > width:
        kept, used = "", 0
        for char in text:
            if used + columns(char) > width - 1:
                break
            kept, used = kept + char, used + columns(char)
        text = kept + "…"
    return text + " " * (width - sum(columns(c) for c in text))


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Build the index from scratch instead of updating what changed.")
@click.option("--check", is_flag=True, help="Only list differences between graph and index (exit 1 if any).")
@_SEARCH_VIEW
@_SEARCH_ENGINE
@pass_context
def index_command(context: Context, rebuild: bool, check: bool, view: str, search_engine: str | None) -> None:
    """Build or update the search index of a view from the graph, or check it against the graph."""
    from search import check_index, open_view_graph

    search_engine = _engine_given_here(search_engine)
    settings = _search_settings(context, search_engine)
    engine = settings.search_engine
    if check:
        with open_view_graph(settings, view) as kg:
            differences = check_index(kg, settings, view)
        for line in differences:
            click.echo(line)
        context.say(f"{len(differences)} differences between the graph and the {view} index ({engine})."
                    if differences else f"The {view} index ({engine}) matches the graph.")
        if differences:
            sys.exit(1)
        return
    build_search_index(context, view, rebuild, search_engine)


def build_search_index(context: Context, view: str, rebuild: bool, search_engine: str | None = None,
                       planned: UpdateReach | None = None):
    """Build (or bring up to date) a view's index; suggest Tantivy when Whoosh gets large.
    `planned`: for an update, its reach as planned (search.index.UpdateReach)."""
    from search import index_exists, index_view

    settings = _search_settings(context, search_engine)
    built = rebuild or not index_exists(settings, view)
    with tqdm(unit=" docs", disable=context.quiet or not built, file=sys.stderr, leave=False) as bar:
        stats = index_view(settings, view, rebuild, progress=lambda done: bar.update(done - bar.n), planned=planned)
    _say_indexed(context, settings, view, built, stats)
    return stats


def build_search_indexes(context: Context, views: list[str], rebuild: bool, search_engine: str | None = None) -> dict:
    """Index several views: on a large graph the first here (with its progress bar) and each
    other in a spawned process, since they read separate stores, write separate indexes and
    building is mostly one core's Python (two views took 104 s one after the other at 10,000
    projects), unless the builds would not fit in memory together (--memory-gb, else what
    the system has available). A small graph is indexed view after view: a process's start
    costs ~2 s. Returns each view's IndexStats."""
    from search import index_exists, index_view, plan_index_memory

    settings = _search_settings(context, search_engine)
    # Every view counts, updates too: an update takes what it reads, the whole graph when much has changed.
    plan = plan_index_memory(settings, views, rebuild)
    # Found while planning, each view's changes are not looked for again (unless a publish came since).
    planned = plan.updates
    if len(views) < 2 or plan.projects.get(views[0], 0) < VIEWS_APART_FROM:
        # A small graph, or nothing published yet (the indexing itself says so).
        return _index_one_after_another(context, views, rebuild, search_engine, planned)
    built = {view: rebuild or not index_exists(settings, view) for view in views}
    if not plan.side_by_side:
        limit = "--memory-gb allows" if settings.memory_gb is not None else "the system has available"
        context.say(f"Indexing the views one after the other: side by side they could take about "
                    f"{plan.needed_gb:.1f} GB of memory, and {limit} {plan.allowed_gb:.1f} GB.")
        return _index_one_after_another(context, views, rebuild, search_engine, planned)
    children = [(view, Apart(f"Indexing the {view} view", index_view, settings, view, rebuild, None, None,
                             planned.get(view),
                             fix=f"Run `scipop index --view {view}` to index it on its own; if the system ran out of "
                                 f"memory, set --memory-gb to what it can give, and the views are indexed one after "
                                 f"the other."))
                for view in views[1:]]
    try:
        stats = {views[0]: build_search_index(context, views[0], rebuild, search_engine, planned.get(views[0]))}
        for view, work in children:
            stats[view] = work.result()
            _say_indexed(context, settings, view, built[view], stats[view])
        return stats
    finally:
        for _, work in children:
            work.stop()   # each is done, or of no use after an error (it discards what it was building)


def _index_one_after_another(context: Context, views: list[str], rebuild: bool, search_engine: str | None,
                             planned: dict[str, UpdateReach]) -> dict:
    return {view: build_search_index(context, view, rebuild, search_engine, planned.get(view)) for view in views}


# Projects from which build_search_indexes indexes views side by side.
VIEWS_APART_FROM = 2_000


def _say_indexed(context: Context, settings: Settings, view: str, built: bool, stats) -> None:
    from search import engine_advice

    engine = settings.search_engine
    if built:
        context.say(f"Indexed {stats.documents} documents ({', '.join(f'{n} {k}' for k, n in stats.by_kind.items())}) "
                    f"for the {view} view with {engine} in {stats.seconds:.1f} s.")
    else:
        compared = ("every document compared with the graph" if stats.changed is None else
                    f"{stats.changed} entities changed since its publication, {stats.compared} documents compared"
                    f"{', the whole graph read' if stats.read_whole else ', the graph read around them'}")
        context.say(f"Updated the {view} index ({engine}): {stats.documents} documents re-indexed, "
                    f"{stats.removed} removed ({compared}), in {stats.seconds:.1f} s.")
    advice = engine_advice(settings, view)  # from the index's own record: no need to open it
    if advice:
        context.say(advice)


@main.command("search")
@click.argument("text", default="")
@click.option("--kind", type=click.Choice(["researcher", "project", "output", "work", "institution"]),
              help="Only this kind of entity.")
@click.option("--unpopularized", is_flag=True,
              help="Only projects and outputs with results but no approved popular-science work.")
@click.option("--popularized", type=click.Choice(["yes", "no"]), help="Popularized or not.")
@click.option("--dept", "department", help="Science department: A–H or T (or its name).")
@click.option("--code", "application_code", help="Application code or its prefix, e.g. A04 or A0402.")
@click.option("--type", "project_type", help="Project type, e.g. general, youth, major (or its Chinese name).")
@click.option("--tier", type=click.Choice(["obliged", "encouraged", "other"]), help="Popularization obligation tier.")
@click.option("--institution", help="Supporting institution: a name or an IRI.")
@click.option("--region", help="Province-level region, e.g. 北京 or Beijing.")
@click.option("--year", help="A year or a bounded range, e.g. 2020 or 2018-2020.")
@click.option("--sort", type=click.Choice(["relevance", "recent", "significance"]), default="relevance",
              show_default=True)
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--per-page", default=20, show_default=True, type=click.IntRange(1, 100))
@_SEARCH_VIEW
@_SEARCH_ENGINE
@_SEARCH_FORMAT
@pass_context
def search_command(context: Context, text: str, kind: str | None, unpopularized: bool, sort: str, page: int,
                   per_page: int, view: str, search_engine: str | None, fmt: str, **filters) -> None:
    """Search projects, researchers, outputs, works and institutions in Chinese, pinyin or English."""
    from search import SearchQuery

    query = SearchQuery(text=text, kind=kind, sort=sort, page=page, per_page=per_page,
                        filters={key: [value] for key, value in filters.items() if value})
    with _open_search(context, view, search_engine) as index:
        results = index.unpopularized(query) if unpopularized else index.search(query)
    if fmt == "json":
        for hit in results.hits:
            click.echo(json.dumps(hit.to_json(), ensure_ascii=False))
    else:
        click.echo(f"{'kind':<11} {_cell('label', 42)} {'year':<5} {'dept':<4} {'pop':<4} {'score':>8}  iri")
        for hit in results.hits:
            fields = hit.fields
            click.echo(f"{hit.kind:<11} {_cell(hit.label, 42)} {_cell(fields.get('year'), 5)} "
                       f"{_cell(fields.get('department'), 4)} {_cell(fields.get('popularized'), 4)} "
                       f"{hit.score:>8.3f}  {hit.iri}")
    shown = f"{(page - 1) * per_page + 1}–{(page - 1) * per_page + len(results.hits)}" if results.hits else "none"
    context.say(f"{plural(results.total, 'result')} ({shown} shown) in {results.took_ms:.0f} ms.")
    if not results.total:
        _note_unknown_region(context, filters.get("region"))


def _note_unknown_region(context: Context, region: str | None) -> None:
    from search import unknown_region_note

    note = unknown_region_note(region)
    if note:
        context.warn(note)


def _print_talent(hits, fmt: str) -> None:
    if fmt == "json":
        for hit in hits:
            click.echo(json.dumps({"kind": "researcher", **hit.to_json()}, ensure_ascii=False))
        return
    click.echo(f"{'#':>3} {'score':>6} {'topic':>6} {'record':>6} {'pool':<4} {'dept':<4} {_cell('name', 14)} institution")
    for rank, hit in enumerate(hits, start=1):
        click.echo(f"{rank:>3} {hit.score:>6.3f} {hit.topical:>6.3f} {hit.popularization:>6.3f} "
                   f"{'yes' if hit.in_pool else '':<4} {_cell(hit.department, 4)} {_cell(hit.label, 14)} "
                   f"{hit.institution}")
        click.echo(f"{'':>11}{hit.iri}")
        for item in hit.evidence[:6]:
            if "relation" in item:
                click.echo(f"{'':>11}- {item['relation']}" + (f": {item['label']}" if item.get("label") else ""))
                continue
            works = "; ".join(w["label"] for w in item.get("works", []))
            click.echo(f"{'':>11}- {item['kind']} {_cell(item.get('label'), 50).rstrip()}"
                       + (f"  (works: {works})" if works else ""))


@main.command("talent")
@click.argument("topic")
@click.option("--dept", "department", help="Science department: A–H or T (or its name).")
@click.option("--institution", help="Institution: a name or an IRI.")
@click.option("--region", help="Province-level region, e.g. 北京 or Beijing.")
@click.option("--title", help="Job title (职称), e.g. 教授.")
@click.option("--in-pool", type=click.Choice(["yes", "no"]), help="Already in the talent pool, or not yet.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@_SEARCH_VIEW
@_SEARCH_ENGINE
@_SEARCH_FORMAT
@pass_context
def talent_command(context: Context, topic: str, department: str | None, institution: str | None,
                   region: str | None, title: str | None, in_pool: str | None, limit: int, view: str,
                   search_engine: str | None, fmt: str) -> None:
    """Researchers for the popularization talent pool: topical fit combined with their popularization record."""
    from search import TalentQuery

    query = TalentQuery(topic=topic, department=department, institution=institution, region=region, title=title,
                        in_pool=None if in_pool is None else in_pool == "yes", limit=limit)
    with _open_search(context, view, search_engine) as index:
        hits = index.talent(query)
    _print_talent(hits, fmt)
    context.say(f"{plural(len(hits), 'researcher')}.")
    if not hits:
        _note_unknown_region(context, region)


@main.command("who-could-popularize")
@click.argument("record")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@_SEARCH_VIEW
@_SEARCH_ENGINE
@_SEARCH_FORMAT
@pass_context
def who_could_popularize_command(context: Context, record: str, limit: int, view: str, search_engine: str | None,
                                 fmt: str) -> None:
    """People close to a project or output (RECORD: IRI, approval number or DOI) who have popularized before."""
    from kg.errors import NotFound
    from search import SearchQuery

    with _open_search(context, view, search_engine) as index:
        iri = record
        if not record.startswith(("http://", "https://")):
            found = [h for h in index.search(SearchQuery(text=record, per_page=5)).hits
                     if h.kind in ("project", "output") and record.lower() in
                     (str(h.fields.get("approval_number", "")).lower(), str(h.fields.get("doi", "")).lower())]
            if not found:
                raise NotFound(f"No project or output '{record}' is in the {view} index.",
                               "Give an IRI, an approval number or a DOI from `scipop search`.")
            iri = found[0].iri
        hits = index.who_could_popularize(iri, limit)
    _print_talent(hits, fmt)
    context.say(f"{plural(len(hits), 'researcher')}.")


if __name__ == "__main__":
    main()
