"""Staff login: accounts from configuration, a CSRF token in the session for every form.

Anonymous users read the public view; a logged-in staff member reads the full view; an
admin is a staff member named in SCIPOP_ADMIN_USERS (curation will use it).
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

from kg.views import FULL, PUBLIC

bp = Blueprint("auth", __name__)
CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_csrf() -> None:
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="The form has expired or did not come from this site. Reload the page and try again.")


def current_user():
    """The logged-in staff account, or None (also when the account was removed from the configuration)."""
    name = session.get("user")
    if not name:
        return None
    return current_app.extensions["scipop"].config.staff.get(name)


def view_for_request() -> str:
    return FULL if g.get("user") is not None else PUBLIC


def is_local_path(target: str) -> bool:
    """Whether `target` is a path on this site, so that a redirect to it is never an open one.

    Browsers and URL parsers drop tabs and newlines and read a backslash as a slash, so
    "/\t/evil.example/" and "/\\evil.example/" reach another host as "//evil.example/"."""
    if not target.startswith("/") or any(ch in target for ch in "\\\t\r\n") or not target.isprintable():
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


@bp.route("/login", methods=["GET", "POST"])
def login():
    failed = False
    if request.method == "POST":
        check_csrf()
        staff = current_app.extensions["scipop"].config.staff
        user = staff.get(request.form.get("username", ""))
        password = request.form.get("password", "")
        if user is not None and check_password_hash(user.password_hash, password):
            session.clear()  # a fresh session on login: no fixation
            session["user"] = user.name
            csrf_token()
            target = request.args.get("next", "")
            return redirect(target if is_local_path(target) else url_for("pages.home"))
        failed = True
    return render_template("login.html", failed=failed), (401 if failed else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("pages.home"))
