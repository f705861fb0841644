"""Countries by ISO 3166-1 alpha-2 code, and the regional part that binds a user there.

The codes and names come from pycountry (the ISO 3166-1 list); which part a country belongs
to comes from ``data/regions.yaml``, with the source that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry

from calculator.errors import FieldProblem, InvalidArgument, excerpt
from calculator.rules.model import Ruleset

_CODE = re.compile(r"^[A-Za-z]{2}$")


def country_name(code: str) -> str | None:
    """The ISO 3166-1 name of an alpha-2 code (any case), or None if it is not one."""
    if not _CODE.match(code):
        return None
    found = pycountry.countries.get(alpha_2=code.upper())
    return found.name if found is not None else None


def countries() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (alpha-2 code, name), by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def is_country(code: str) -> bool:
    return country_name(code) is not None


@dataclass(frozen=True)
class RegionChoice:
    """The regional part an answer is for, and how it was chosen."""

    region: str  # the part's id
    country: str | None = None  # the ISO code given, upper case
    country_name: str | None = None
    assumed: bool = False  # no region was given: the rules' default part

    def describe(self, title: str) -> str:
        """One sentence for people: which part, and why."""
        if self.country:
            return (f"{self.country_name} ({self.country}) is in the part for {self.region} "
                    f"({title}).")
        if self.assumed:
            return (f"No region was given: the part for {self.region} ({title}) was assumed; "
                    "name a part or a country code (region=DE) for another.")
        return f"The part for {self.region} ({title})."


def choose_region(ruleset: Ruleset, value: str | None, field: str = "region") -> RegionChoice:
    """A part id, an ISO 3166-1 alpha-2 code resolved through the regions file, or (None) the
    default part, marked as assumed. Anything else is an error naming ``field``."""
    if value is None or not value.strip():
        return RegionChoice(ruleset.default_region, assumed=True)
    text = value.strip()
    if text in ruleset.regions:
        return RegionChoice(text)
    if _CODE.match(text):
        code = text.upper()
        name = country_name(code)
        if name is None:
            message = (f"{excerpt(text)} is not an ISO 3166-1 alpha-2 country code; give a "
                       f"code such as DE or US, or a part: {', '.join(sorted(ruleset.regions))}")
            raise InvalidArgument(f"{field}: {message}",
                                  problems=[FieldProblem(message, field=field)])
        listed = [r for r in ruleset.regions.values() if code in r.countries]
        others = [r for r in ruleset.regions.values() if r.other_countries]
        region = (listed or others or [ruleset.regions[ruleset.default_region]])[0]
        return RegionChoice(region.id, code, name)
    parts = ", ".join(sorted(ruleset.regions))
    message = (f"unknown region {excerpt(text)}; give a part ({parts}) or an ISO 3166-1 "
               "alpha-2 country code such as DE or US")
    raise InvalidArgument(f"{field}: {message}", problems=[FieldProblem(message, field=field)])
