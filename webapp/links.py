"""IRIs as links: entities under the base IRI become local paths, other http(s) IRIs stay
as they are, and anything else (javascript:, data:, file:, mailto: …) is never clickable."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

# The first path segment of an entity IRI under the base, and the kind of page it gets.
ENTITY_KINDS = {
    "project": "project", "person": "person", "org": "org", "output": "output", "work": "work",
    "code": "code", "link": "entity", "authorship": "entity", "affiliation": "entity",
    "talent-pool": "entity", "graph": "entity",
}
# Characters that cannot appear in an IRI (RFC 3987) or would break SPARQL's <…>.
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
SAFE_SCHEMES = ("http", "https")


def is_safe_iri(iri: str) -> bool:
    return bool(iri) and not _BAD_IRI.search(iri)


def local_path(iri: str, base: str) -> str | None:
    """'/project/123' for an entity IRI under the base, else None."""
    if iri.startswith(base):
        rest = iri[len(base):]
        if rest.split("/", 1)[0] in ENTITY_KINDS and is_safe_iri(iri):
            return "/" + rest
    return None


def href(iri, base: str) -> str | None:
    """Where a link to `iri` may point, or None when it must be shown as plain text."""
    text = str(iri or "").strip()
    if not text:
        return None
    path = local_path(text, base)
    if path is not None:
        return path
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    if scheme in SAFE_SCHEMES and is_safe_iri(text):
        return text
    return None


def kind_of(iri: str, base: str) -> str:
    if iri.startswith(base):
        return ENTITY_KINDS.get(iri[len(base):].split("/", 1)[0], "entity")
    return "entity"
