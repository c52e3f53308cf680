"""Settings shared by every layer; the CLI and the web app build one from flags/env."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.errors import ConfigError

DEFAULT_BASE_IRI = "https://kg.scipop.example.org/"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("scipop-data")
    base_iri: str = DEFAULT_BASE_IRI
    # None: the embedded Oxigraph store under data_dir; otherwise a SPARQL 1.1 endpoint URL.
    store_url: str | None = None
    search_engine: str = "whoosh"
    # Memory (GB) the two views' index builds may take together (the CLI's --memory-gb); None:
    # what the system has available. Side by side only when both fit (search.plan_index_memory).
    memory_gb: float | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (not (self.base_iri.startswith("http://") or self.base_iri.startswith("https://"))
                or not self.base_iri.endswith("/") or not _valid_iri(self.base_iri)):
            raise ConfigError(
                f"The base IRI '{self.base_iri}' is not a valid http(s) IRI ending in '/'.",
                "Set --base-iri / SCIPOP_BASE_IRI to something like https://kg.example.org/.",
            )

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def sources_dir(self) -> Path:
        """Copies of every ingested source file, by sha256: nothing a user loaded is lost."""
        return self.data_dir / "sources"

    @property
    def rejects_dir(self) -> Path:
        return self.data_dir / "rejects"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_from_env(environ: dict | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        data_dir=Path(env.get("SCIPOP_DATA_DIR", "scipop-data")),
        base_iri=env.get("SCIPOP_BASE_IRI", DEFAULT_BASE_IRI),
        store_url=env.get("SCIPOP_STORE_URL") or None,
        search_engine=env.get("SCIPOP_SEARCH_ENGINE", "whoosh"),
    )


def _valid_iri(text: str) -> bool:
    """Whether Oxigraph accepts the text as an IRI (no spaces, brackets or control characters)."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True
