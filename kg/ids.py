"""Identifier normalization, done once, here.

Every approval number (批准号), DOI, ORCID, ROR id and application code that enters
the graph passes through one of these functions. A malformed value raises
`InvalidIdentifier`; nothing malformed is silently kept.
"""
from __future__ import annotations

import re
import unicodedata

from kg.errors import InvalidIdentifier

# NSFC approval numbers: 8 digits (31970123), 11 digits for some international and
# talent programmes (31950410540), or one letter prefix (U joint funds, T/L/J/W special
# programmes) followed by 7 or more digits; joint funds since 2020 put a letter after
# the year (U22B2062, U20A20185). Total length 8-11 characters.
APPROVAL_PATTERN = r"^(?:[A-Z]\d{7,10}|[A-Z]\d{2}[A-Z]\d{4,5}|\d{8}|\d{10,11})$"  # shapes.ttl repeats it; a test checks
_APPROVAL_RE = re.compile(APPROVAL_PATTERN)
_APPROVAL_PREFIXES = frozenset("UTLJW")
_SPACES = re.compile(r"[\s\u200b\u3000]+")


def fold_width(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), e.g. '６１７' -> '617'."""
    return unicodedata.normalize("NFKC", text)


def normalize_approval_number(raw: object) -> str:
    """Return the canonical approval number or raise `InvalidIdentifier`.

    Tolerates full-width characters, stray spaces (also OCR spaces inside the number),
    lower-case prefixes and a float rendering from spreadsheets ('61772368.0').
    """
    if raw is None:
        raise InvalidIdentifier("The approval number is empty.", "Give the 8-11 character NFSC approval number (批准号), e.g. 61772368.")
    text = fold_width(str(raw))
    text = _SPACES.sub("", text).upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not _APPROVAL_RE.match(text) or (text[0].isalpha() and text[0] not in _APPROVAL_PREFIXES):
        raise InvalidIdentifier(
            f"'{raw}' is not an NSFC approval number.",
            "An approval number (批准号) has 8-11 characters: digits, optionally after one letter U, T, L, J or W, e.g. 61772368 or U1832123.",
        )
    return text


def is_approval_number(raw: object) -> bool:
    try:
        normalize_approval_number(raw)
    except InvalidIdentifier:
        return False
    return True


_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")


def normalize_doi(raw: object) -> str:
    """Lower-case bare DOI ('10.1145/3448016.3452841'); URL and 'doi:' forms accepted."""
    text = fold_width(str(raw or "")).strip()
    lowered = text.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.strip().lower()
    if not _DOI_RE.match(text):
        raise InvalidIdentifier(f"'{raw}' is not a DOI.", "A DOI looks like 10.1234/abc, optionally as https://doi.org/10.1234/abc.")
    return text


_ORCID_RE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")


def normalize_orcid(raw: object) -> str:
    """'0000-0003-3953-765X' from a bare id or an https://orcid.org/ URL; checksum verified."""
    text = fold_width(str(raw or "")).strip().upper()
    for prefix in ("HTTPS://ORCID.ORG/", "HTTP://ORCID.ORG/", "ORCID.ORG/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    match = _ORCID_RE.match(text)
    if not match:
        raise InvalidIdentifier(f"'{raw}' is not an ORCID iD.", "An ORCID iD looks like 0000-0002-1825-0097.")
    digits = "".join(match.groups())
    if _orcid_checksum(digits[:-1]) != digits[-1]:
        raise InvalidIdentifier(f"'{raw}' has a wrong ORCID check digit.", "Copy the ORCID iD again from orcid.org; the last character is a checksum.")
    return "-".join(match.groups())


def _orcid_checksum(base_digits: str) -> str:
    total = 0
    for ch in base_digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


_ROR_RE = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}\d{2}$")


def normalize_ror(raw: object) -> str:
    """Bare ROR id ('03cve4549') from an id or https://ror.org/ URL."""
    text = fold_width(str(raw or "")).strip().lower()
    for prefix in ("https://ror.org/", "http://ror.org/", "ror.org/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if not _ROR_RE.match(text):
        raise InvalidIdentifier(f"'{raw}' is not a ROR id.", "A ROR id looks like 03cve4549 or https://ror.org/03cve4549.")
    return text


# Application codes (申请代码): department letter, two digits per level: C, C05, C0501, C050101.
_CODE_RE = re.compile(r"^[A-HT](?:\d{2}){0,3}$")


def normalize_application_code(raw: object) -> str:
    """'C0501' from ' c0501 ', '一级：C05，二级：C0501' (takes the deepest) or 'C050101'."""
    text = fold_width(str(raw or "")).upper()
    candidates = re.findall(r"[A-HT]\d{2,6}", text)
    code = max(candidates, key=len) if candidates else _SPACES.sub("", text)
    if not _CODE_RE.match(code):
        raise InvalidIdentifier(f"'{raw}' is not an NSFC application code.", "An application code (申请代码) is a department letter and 2, 4 or 6 digits, e.g. C0501.")
    return code


def application_code_parents(code: str) -> list[str]:
    """Ancestors from the department down, excluding the code itself: C050101 -> [C, C05, C0501]."""
    return [code[:n] for n in range(1, len(code), 2)]
