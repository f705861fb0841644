"""AI-training findings, for a profile whose purpose is AI training: the platform's bans on
training models with its content (in force during the collection, or from a date after it),
and the opt-outs that let users keep their data out of training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calculator.rules.in_force import Interval
from calculator.rules.model import Clause, ClauseVersion
from calculator.timeutil import format_instant

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer


def ai_training(reviewer: _Reviewer) -> None:
    """Add the training bans (only those that reach this channel) and the opt-outs."""
    p = reviewer.p
    for clause in reviewer.lookup.clauses_of_kind(p.platform, "model-training-ban"):
        periods = reviewer.periods(clause)
        if not periods:
            continue
        applies = set(periods[-1][0].parameters["applies_to"])
        if p.channel != "official_api" and "services" not in applies:
            continue
        document = reviewer.document(clause)
        absent = [v.date for v in clause.timeline(reviewer.region) if not v.present]
        recorded = (f" The rules record it as absent in the version of {absent[-1]}."
                    if absent else "")
        found = reviewer.during(clause)
        if found:
            version, interval = found[0]
            severity = "high" if p.channel == "official_api" else "warning"
            binds = ("" if p.channel == "official_api" else
                     f" The clause is in the {document.title}, which bind those who accept "
                     "them; its words are not limited to the API.")
            reviewer.add("ai.model-training-ban", severity, reviewer.start_of(interval),
                         f"{document.title} bans using the content to train models "
                         f"({version.parameters['scope']}) from {version.date}, during the "
                         "collection; the profile's purpose is AI training.",
                         f"\"{version.quote}\" In force from {format_instant(interval.start)}."
                         f"{recorded}{binds} Whether the model trained is one the words reach "
                         "is not in the profile.",
                         [reviewer.cite(clause, v, i) for v, i in found],
                         {"clause": clause.id, "versions": [v.date for v, _ in found]})
            continue
        later = [(v, i) for v, i in periods if i.start >= reviewer.hi]
        if later:
            version, interval = later[0]
            reviewer.add("ai.model-training-ban-after-collection", "warning", version.date,
                         f"{document.title} bans using the content to train models from "
                         f"{version.date}, after the collection ended; the profile's purpose is "
                         "AI training.",
                         f"\"{version.quote}\" The words restrict use, not collection, so they "
                         "speak to when the content is used for training, which the profile does "
                         f"not state.{recorded}",
                         [reviewer.cite(clause, version, interval)],
                         {"clause": clause.id, "version": version.date})
    for clause in reviewer.lookup.clauses_of_kind(p.platform, "ai-training"):
        found = [(v, i) for v, i in reviewer.during(clause) if v.parameters["opt_out"]]
        if found:
            _opt_out(reviewer, clause, found)


def _opt_out(reviewer: _Reviewer, clause: Clause,
             found: list[tuple[ClauseVersion, Interval]]) -> None:
    p = reviewer.p
    version, interval = found[0]
    document = reviewer.document(clause)
    params = version.parameters
    third = params["trainer"] == "third-parties"
    code = "ai.third-party-training-opt-out" if third else "ai.platform-training-opt-out"
    if p.opted_out_users_excluded:
        severity, stance = "info", "the profile excludes users who opted out"
    elif p.opted_out_users_excluded is False:
        severity, stance = "warning", "the profile does not exclude users who opted out"
    else:
        severity, stance = "warning", "the profile does not say whether users who opted out " \
                                      "are excluded"
    if third:
        title = (f"{document.title} lets recipients of shared data train their own AI models "
                 f"only where users have not opted out (from {version.date}); {stance}.")
    else:
        title = (f"{document.title} gives users an opt-out from the platform's training of "
                 f"its models on their data (from {version.date}); {stance}.")
    setting = (f"The opt-out setting is {params['opt_out_setting']}." if
               params["opt_out_setting"] else "The rules do not name the opt-out setting "
                                              "(unknown).")
    scope = ("" if third else " The words are about training by the platform; whether the "
             "opt-out reaches training by others is not stated in them.")
    if params.get("opt_out_scope"):
        scope += f" The opt-out reaches, in the platform's words, {params['opt_out_scope']}."
    if params.get("protected_posts_excluded"):
        scope += (" The platform's words also say that protected (followers-only) and "
                  "deleted posts are removed from that use.")
    words = [f"\"{version.quote}\""] + [f"\"{passage}\"" for passage in version.context
                                        if "opt out" in passage and passage != version.quote]
    reviewer.add(code, severity, reviewer.start_of(interval), title,
                 f"{' '.join(words)} {setting}{scope}",
                 [reviewer.cite(clause, v, i) for v, i in found],
                 {"clause": clause.id, "versions": [v.date for v, _ in found],
                  "opted_out_users_excluded": p.opted_out_users_excluded})
