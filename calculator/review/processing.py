"""Findings from a platform's data-processing statements: the EU/EFTA/UK legal basis of the
processing that bears on the profile's purposes, the business-partner sharing setting for a
resale or advertising purpose, and data the platform says it does not collect in Europe.

The rows of the platform's table and the review purposes they bear on are facts of the rule
files (``related_profile_purposes``); nothing here names a platform. Severity:
docs/decisions/0077.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer

EU = "eu-efta-uk"  # the part whose users' legal basis the data-processing page states
SHARING_PURPOSES = ("resale", "advertising")
BASIS_WORDS = {
    "contractual-necessity": "contractual necessity",
    "legitimate-interests": "legitimate interests",
    "consent": "consent",
    "legal-obligation": "legal obligation",
    "as-for-the-underlying-processing": "the basis of the processing the provider serves",
}


def bearing_kinds(purposes: tuple[str, ...], user_regions: tuple[str, ...]) -> set[str]:
    """Clause kinds of this module whose change during the collection bears on the profile."""
    kinds: set[str] = set()
    if EU in user_regions:
        kinds |= {"processing-purposes", "collection-exclusion"}
    if any(p in SHARING_PURPOSES for p in purposes):
        kinds.add("data-sharing-setting")
    return kinds


def processing(reviewer: _Reviewer) -> None:
    """Add the findings of this module to ``reviewer``."""
    p = reviewer.p
    if EU in p.user_regions:
        for purpose in p.purposes:
            _legal_basis(reviewer, purpose)
        _collection_exclusions(reviewer)
    if any(purpose in SHARING_PURPOSES for purpose in p.purposes):
        _sharing_setting(reviewer)


def _purpose_words(purpose: str) -> str:
    return "AI training" if purpose == "ai_training" else purpose.replace("_", " ")


def _bases(entry: dict[str, Any]) -> str:
    return " or ".join(BASIS_WORDS[b] for b in entry["legal_bases_eu"])


def _legal_basis(reviewer: _Reviewer, purpose: str) -> None:
    p = reviewer.p
    platform = reviewer.platform
    rows: list[tuple[Any, Any, Any, dict[str, Any]]] = []
    for clause in reviewer.lookup.clauses_of_kind(p.platform, "processing-purposes"):
        for version, interval in reviewer.during(clause):
            for entry in version.parameters["purposes"]:
                if purpose in entry["related_profile_purposes"]:
                    rows.append((clause, version, interval, entry))
    training = []
    if purpose == "ai_training":
        for clause in reviewer.lookup.clauses_of_kind(p.platform, "ai-training"):
            training += [(clause, v, i) for v, i in reviewer.during(clause)
                         if v.parameters.get("legal_basis_eu")]
    if not rows and not training:
        reviewer.gap(f"EU/EFTA/UK legal basis for {_purpose_words(purpose)}",
                     f"The rules hold no statement by {platform.name} of a processing purpose "
                     f"that bears on the profile's purpose '{purpose}', with its legal basis for "
                     "data from the EU, EFTA States and the UK.")
        return
    lines, facts, citations, consent = [], [], [], False
    for clause, version, interval, entry in rows:
        lines.append(f"\"{entry['purpose']}\": {_bases(entry)} "
                     f"(\"{'; '.join(entry['legal_basis_words'])}\"); data: "
                     f"{', '.join(entry['data'])}")
        facts.append({"row": entry["key"], "purpose": entry["purpose"],
                      "legal_bases_eu": entry["legal_bases_eu"], "data": entry["data"],
                      "version": version.date})
        consent = consent or "consent" in entry["legal_bases_eu"]
        citation = reviewer.cite(clause, version, interval)
        if citation not in citations:
            citations.append(citation)
    for clause, version, interval in training:
        basis = version.parameters["legal_basis_eu"]
        lines.append(f"training {version.parameters['models']}: {BASIS_WORDS[basis]}")
        facts.append({"clause": clause.id, "legal_bases_eu": [basis], "version": version.date})
        consent = consent or basis == "consent"
        citations.append(reviewer.cite(clause, version, interval))
    first = min(c.in_force.start.date() for c in citations)
    reviewer.add(
        "eu.legal-basis", "warning" if consent else "info", max(p.start, first),
        f"For data from the EU, EFTA States and the UK, {platform.name} states the primary "
        f"legal basis of its processing that bears on {_purpose_words(purpose)}.",
        "; ".join(lines) + ". These are the platform's bases for its own processing; which rows "
        "bear on the profile's purpose is the rules' reading. Where the basis is consent, the "
        "platform's own processing rests on its users' consent.",
        citations, {"purpose": purpose, "rows": facts})


def _sharing_setting(reviewer: _Reviewer) -> None:
    p = reviewer.p
    for clause in reviewer.lookup.clauses_of_kind(p.platform, "data-sharing-setting"):
        found = reviewer.during(clause)
        if not found:
            continue
        version, interval = found[0]
        params = version.parameters
        where = ", ".join(params["required_in"])
        touched = [r for r in p.user_regions if r in params["required_in"]]
        purposes = [x for x in p.purposes if x in SHARING_PURPOSES]
        users = (f"The profile includes users in {', '.join(touched)}, whose data the platform "
                 "shares this way only as the setting allows." if touched else
                 "The profile states no users in the regions where the words make the setting "
                 "a condition.")
        reviewer.add(
            "sharing.business-partners", "warning" if touched else "info",
            reviewer.start_of(interval),
            f"{reviewer.document(clause).title} ties {params['governs']} to the "
            f"“{params['setting']}” setting for users in {where}; the profile's purpose is "
            f"{' and '.join(purposes)}.",
            f"\"{version.quote}\" {users} Where the words name only some regions, they say "
            "nothing of the setting for users elsewhere.",
            [reviewer.cite(clause, v, i) for v, i in found],
            {"clause": clause.id, "setting": params["setting"],
             "required_in": params["required_in"], "legal_basis_eu": params["legal_basis_eu"]})


def _collection_exclusions(reviewer: _Reviewer) -> None:
    p = reviewer.p
    for clause in reviewer.lookup.clauses_of_kind(p.platform, "collection-exclusion"):
        found = [(v, i) for v, i in reviewer.during(clause)
                 if set(v.parameters["regions"]) & set(p.user_regions)]
        if not found:
            continue
        version, interval = found[0]
        params = version.parameters
        reviewer.add(
            "eu.data-not-collected", "info", reviewer.start_of(interval),
            f"{reviewer.platform.name} says it does not collect {params['data']} from "
            f"{params['not_collected_from']}; the profile includes users there.",
            f"\"{version.quote}\" The statement is about the platform's own collection; it is "
            "cited as context for data of that category about those users.",
            [reviewer.cite(clause, v, i) for v, i in found],
            {"clause": clause.id, "data": params["data"]})
