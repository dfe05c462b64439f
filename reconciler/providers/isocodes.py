"""ISO 3166-1 country and ISO 3166-2 subdivision codes, checked against pycountry's data.

Codes are case-insensitive (as the APIs that take them say); a wrong code gets a suggestion when
one is plausible: a country name, an alpha-3 code, a common non-ISO code, a near-miss spelling.
"""

from __future__ import annotations

import difflib
from functools import cache

import pycountry

# Codes people write that ISO 3166-1 reserves for other uses; each has one meaning in practice.
COMMON_NON_ISO = {"UK": "GB", "EL": "GR", "EN": "GB"}


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _subdivisions(country: str) -> tuple[str, ...]:
    return tuple(sorted(s.code for s in pycountry.subdivisions.get(country_code=country) or ()))


@cache
def _all_subdivisions() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


def is_country(code: object) -> bool:
    return isinstance(code, str) and code.upper() in _countries()


def is_subdivision(code: object) -> bool:
    return isinstance(code, str) and code.upper() in _all_subdivisions()


def suggest_country(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code the user most likely meant, or None."""
    upper = code.strip().upper()
    if upper in COMMON_NON_ISO:
        return COMMON_NON_ISO[upper]
    if upper in _countries():
        return upper
    try:
        return str(pycountry.countries.lookup(code.strip()).alpha_2)  # a name, alpha-3 or numeric code
    except LookupError:
        return None


def suggest_subdivision(code: str) -> str | None:
    """The ISO 3166-2 code the user most likely meant, or None."""
    text = code.strip().upper().replace("_", "-").replace(" ", "-")
    country, _, part = text.partition("-")
    country = suggest_country(country) or country
    candidates = _subdivisions(country)
    if not candidates:
        return None
    wanted = f"{country}-{part}"
    if wanted in candidates:
        return wanted
    by_name = {s.name.upper(): s.code for s in pycountry.subdivisions.get(country_code=country) or ()}
    rest = code.strip().partition("-")[2].upper() or code.strip().upper()
    if rest in by_name:
        return by_name[rest]
    close = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.75)
    return close[0] if close else None
