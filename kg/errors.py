"""One exception family for every user-facing failure.

The CLI turns a `ScipopError` into one sentence plus a suggested fix (exit status 2);
the web turns it into one JSON error shape with `status` as the HTTP status.
Anything that is not a `ScipopError` is a bug and may show a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ScipopError(Exception):
    """Base of every error a user can cause. `hint` says how to fix it."""

    code = "error"
    status = 400

    def __init__(self, message: str, hint: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by every API error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return {"error": body}

    def one_line(self) -> str:
        """The CLI form: what went wrong, then how to fix it."""
        return f"{self.message} {('Fix: ' + self.hint) if self.hint else ''}".strip()

    def __reduce__(self):
        # Ingest stages files in worker processes; an error must cross back intact, and the
        # subclasses' own __init__ signatures differ from Exception's args.
        return (_rebuild_error, (type(self), self.args, self.__dict__))


def _rebuild_error(cls: type, args: tuple, state: dict) -> ScipopError:
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


@dataclass(frozen=True)
class Location:
    """Where in a source a problem sits: file, line or record, and field."""

    file: str
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def describe(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class InputError(ScipopError):
    """A source file, record or field that cannot be read as what it claims to be."""

    code = "invalid_input"

    def __init__(self, location: Location, problem: str, hint: str = "", value: Any = None,
                 problem_quotes_value: bool = False) -> None:
        self.location = location
        self.problem = problem
        self.value = value   # for reject reports; the message repeats it unless the problem already quotes it
        self.problem_quotes_value = problem_quotes_value
        shown = f" (value: {value!r})" if value is not None and not problem_quotes_value else ""
        super().__init__(
            f"{location.describe()}: {problem}{shown}.",
            hint or "Correct the value in the source file, or re-run with --skip-invalid to load the other records and get a reject report.",
            location=location.to_dict(),
        )


class InvalidIdentifier(ScipopError):
    """An identifier (approval number, DOI, ORCID, ROR) that does not have its required shape.

    Raised without a location by the normalizers; ingest wraps it in an `InputError`.
    """

    code = "invalid_identifier"


class ConfigError(ScipopError):
    code = "invalid_configuration"


class StoreError(ScipopError):
    code = "store_error"
    status = 503


class QueryError(ScipopError):
    """A query the user wrote that cannot be run: syntax, forbidden feature, unsupported form."""

    code = "invalid_query"


class QueryBoundExceeded(QueryError):
    """A search that asks for more than a bound allows: an open year range, a short wildcard, too
    many values or words, paging too deep. The request is the user's to reshape (400, not 413:
    nothing was too large to receive)."""

    code = "query_limit"


class ForbiddenQuery(QueryError):
    code = "forbidden_query"
    status = 403


class LimitExceeded(ScipopError):
    """A bound was hit: time, rows, query size, request budget."""

    code = "limit_exceeded"
    status = 413


class QueryTimeout(LimitExceeded):
    """A SPARQL query or a search ran past its time limit and was stopped. Nothing was too
    large to receive (413) and the request may be fine on a quieter server: 503 with
    Retry-After, and a hint to narrow it."""

    code = "query_timeout"
    status = 503


class NotFound(ScipopError):
    code = "not_found"
    status = 404


@dataclass
class RejectReport:
    """Problems collected when `--skip-invalid` lets the good records through."""

    rejects: list[InputError] = field(default_factory=list)

    def add(self, error: InputError) -> None:
        self.rejects.append(error)

    def __len__(self) -> int:
        return len(self.rejects)
