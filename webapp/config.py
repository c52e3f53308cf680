"""The web app's configuration: one dataclass built from a dict and SCIPOP_* variables.

Everything a deployment sets (secret key, staff accounts, SPARQL limits, CORS) comes from
configuration; nothing is hard-coded. `create_app(config)` passes its dict here; keys are
the environment variable names (SCIPOP_SECRET_KEY …), so tests and deployments speak the
same language.
"""
from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import DEFAULT_BASE_IRI, Settings
from kg.errors import ConfigError
from webapp.budget import BudgetPolicy

# Secret keys that are obviously not secret: refused in production.
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class StaffUser:
    name: str
    password_hash: str  # werkzeug.security hash, e.g. pbkdf2:sha256:600000$…
    admin: bool = False


@dataclass(frozen=True)
class WebConfig:
    settings: Settings
    secret_key: str
    production: bool = False
    staff: dict[str, StaffUser] = field(default_factory=dict)
    sparql_timeout: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_workers: int = 2
    cors_origin: str | None = None       # None: no CORS headers at all
    # Host names this server answers to (a leading dot: any subdomain); None: any. Links in
    # redirects and in the VoID description are built from the Host header a client sends.
    trusted_hosts: tuple[str, ...] | None = None
    max_request_bytes: int = 64 * 1024   # forms and SPARQL bodies; queries themselves stop at 10 KB
    search_engine: str | None = None
    # Per-client budgets (webapp/budget.py): SPARQL (endpoint and query page) and the JSON search API.
    sparql_budget: BudgetPolicy = BudgetPolicy("sparql", 60.0, 300, 60.0, max_running=2)
    api_budget: BudgetPolicy = BudgetPolicy("search API", 60.0, 600, 60.0, max_running=4)


def _get(config: dict, env: dict, key: str, default=None):
    if key in config:
        return config[key]
    return env.get(key, default)



def parse_staff(spec: str, admins: str = "") -> dict[str, StaffUser]:
    """'alice:<hash>,bob:<hash>' -> users; hashes contain ':' and '$' but never ','."""
    admin_names = {a.strip() for a in admins.split(",") if a.strip()}
    users: dict[str, StaffUser] = {}
    for entry in (spec or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, password_hash = entry.partition(":")
        if not sep or not name or not password_hash:
            raise ConfigError(f"The staff account entry '{name or entry[:20]}' has no password hash.",
                              "Set SCIPOP_STAFF_USERS to 'name:<werkzeug hash>,…' (see docs/http-api.md).")
        users[name] = StaffUser(name, password_hash, name in admin_names)
    return users


def load_config(config: dict | None = None, environ: dict | None = None) -> WebConfig:
    """The app's configuration from `config` (wins) and the environment."""
    config = dict(config or {})
    env = dict(os.environ if environ is None else environ)
    settings = config.get("settings")
    if settings is None:
        settings = Settings(
            data_dir=Path(_get(config, env, "SCIPOP_DATA_DIR", "scipop-data")),
            base_iri=_get(config, env, "SCIPOP_BASE_IRI", DEFAULT_BASE_IRI),
            store_url=_get(config, env, "SCIPOP_STORE_URL") or None,
        )
    mode = str(_get(config, env, "SCIPOP_ENV", "development")).strip().lower()
    if mode not in ("development", "production"):
        # A typo ('prod') would run a public server in development mode: no Secure cookies, no key check.
        raise ConfigError(f"SCIPOP_ENV must be production or development, not '{mode[:30]}'.",
                          "Set SCIPOP_ENV=production on a public server, or leave it unset.")
    production = mode == "production"
    secret = str(_get(config, env, "SCIPOP_SECRET_KEY", "") or "")
    if production and (secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH):
        raise ConfigError("SCIPOP_ENV=production needs a real secret key.",
                          f"Set SCIPOP_SECRET_KEY to a random value of at least {MIN_SECRET_LENGTH} characters, "
                          "e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    if not secret:
        # Development: a per-process key; sessions (staff logins) end when the server restarts.
        secret = secrets.token_urlsafe(48)
    return WebConfig(
        settings=settings,
        secret_key=secret,
        production=production,
        staff=parse_staff(str(_get(config, env, "SCIPOP_STAFF_USERS", "") or ""),
                          str(_get(config, env, "SCIPOP_ADMIN_USERS", "") or "")),
        sparql_timeout=_number(config, env, "SCIPOP_SPARQL_TIMEOUT", 10.0, float, above=0),
        sparql_max_rows=_number(config, env, "SCIPOP_SPARQL_MAX_ROWS", 10_000, int, at_least=1),
        sparql_workers=_number(config, env, "SCIPOP_SPARQL_WORKERS", 2, int, at_least=1),
        cors_origin=(_get(config, env, "SCIPOP_CORS_ORIGIN") or None),
        trusted_hosts=_host_list(str(_get(config, env, "SCIPOP_TRUSTED_HOSTS", "") or "")),
        max_request_bytes=_number(config, env, "SCIPOP_MAX_REQUEST_BYTES", 64 * 1024, int, at_least=1024),
        search_engine=_get(config, env, "SCIPOP_SEARCH_ENGINE") or None,
        sparql_budget=_budget(config, env, "sparql", "SPARQL", 300, 60.0, 2),
        api_budget=_budget(config, env, "search API", "API", 600, 60.0, 4),
    )


def _number(config: dict, env: dict, key: str, default: float, kind: type, at_least: float = 0,
            above: float | None = None):
    """A numeric setting, refused with its name when it is no number or out of range (a negative
    row cap answered every query with no rows; a negative timeout stopped every query)."""
    raw = _get(config, env, key, default)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, not '{str(raw)[:30]}'.",
                          f"Set {key} to a number, or leave it unset for {default}.") from None
    if not math.isfinite(value) or value < at_least or (above is not None and value <= above):
        bound = f"more than {above:g}" if above is not None else f"at least {at_least:g}"
        raise ConfigError(f"{key} must be {bound}, not {str(raw)[:30]}.",
                          f"Set {key} to {bound}, or leave it unset for {default}.")
    return value


def _host_list(spec: str) -> tuple[str, ...] | None:
    hosts = tuple(h.strip() for h in spec.split(",") if h.strip())
    return hosts or None


def _budget(config: dict, env: dict, scope: str, name: str, requests: int, seconds: float,
            running: int) -> BudgetPolicy:
    """SCIPOP_<NAME>_BUDGET_REQUESTS / _SECONDS per SCIPOP_BUDGET_WINDOW seconds, and
    SCIPOP_<NAME>_BUDGET_RUNNING at once (0 turns a limit off); SCIPOP_BUDGET_EXEMPT lists
    addresses without a budget (e.g. 127.0.0.1 for a load test).
    There is no implicit exemption: behind a reverse proxy every client has the proxy's address."""
    exempt = str(_get(config, env, "SCIPOP_BUDGET_EXEMPT", "") or "")
    return BudgetPolicy(   # 0 turns a limit off; below it is refused by name
        scope=scope,
        window=_number(config, env, "SCIPOP_BUDGET_WINDOW", 60.0, float),
        max_requests=_number(config, env, f"SCIPOP_{name}_BUDGET_REQUESTS", requests, int),
        max_seconds=_number(config, env, f"SCIPOP_{name}_BUDGET_SECONDS", seconds, float),
        max_running=_number(config, env, f"SCIPOP_{name}_BUDGET_RUNNING", running, int),
        exempt=frozenset(a.strip() for a in exempt.split(",") if a.strip()),
    )
