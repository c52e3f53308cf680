"""Which format module reads a file: by --format name, or by sniffing name and first bytes."""
from __future__ import annotations

from pathlib import Path

from ingest.base import FormatModule
from ingest import crossref, jsonld, nsfc_projects, oai_pmh, openalex, orcid, popsci_works, pubmed, researchers
from kg.errors import InputError, Location

# Order matters for sniffing: the more specific formats first.
MODULES: tuple[FormatModule, ...] = (
    oai_pmh.MODULE,
    pubmed.MODULE,
    orcid.MODULE,
    jsonld.MODULE,
    openalex.MODULE,
    crossref.MODULE,
    popsci_works.MODULE,
    researchers.MODULE,
    nsfc_projects.MODULE,
)
SNIFF_BYTES = 1 << 14


def format_names() -> list[str]:
    return [m.name for m in MODULES]


def by_name(name: str) -> FormatModule:
    for module in MODULES:
        if module.name == name:
            return module
    raise InputError(Location(file="--format"), f"unknown format '{name}'",
                     hint=f"Use auto or one of: {', '.join(format_names())}.")


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(SNIFF_BYTES)


def choose(path: Path, fmt: str = "auto") -> FormatModule:
    if fmt != "auto":
        return by_name(fmt)
    head = _head(path)
    module = _sniffed(path, head)
    if module is not None:
        return module
    if not head.strip():
        raise InputError(Location(file=str(path)), "the file is empty",
                         hint="Export it again, or leave it out (a folder's empty files too).")
    raise InputError(Location(file=str(path)), "cannot tell which source format this file is",
                     hint=f"Pass --format with one of: {', '.join(format_names())}; or, if no format reads "
                          "it, leave it out (out of any folder you pass whole).")


def looks_like(path: Path, given: FormatModule) -> FormatModule | None:
    """The format the file looks like when it does not look like the one given with --format
    (None when it does, or when no format claims it): for the hint of a file that failed."""
    try:
        head = _head(path)
    except OSError:
        return None
    if given.sniff(path, head):
        return None
    return _sniffed(path, head)


def _sniffed(path: Path, head: bytes) -> FormatModule | None:
    """The first format (the more specific first) that claims the file."""
    return next((module for module in MODULES if module.sniff(path, head)), None)


def wrong_format(error: InputError, path: Path, given: FormatModule) -> InputError | None:
    """`error` with a hint naming the format the file looks like; None when it looks like no other."""
    other = looks_like(path, given)
    if other is None:
        return None
    return InputError(error.location, error.problem, value=error.value, problem_quotes_value=error.problem_quotes_value,
                      hint=f"The file looks like {other.name}, not {given.name}: leave out --format, "
                           f"or pass --format {other.name}.")
