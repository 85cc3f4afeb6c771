"""What the served worklists page (``/worklists``) shows, in words: each role's worklist from
:mod:`hubcore.worklists`' reads, with codes turned into words (reason, receiving organisation,
status, outcome, NCCIS destination names, RONI band), dates as dates and days as whole days.

Nothing here decides who may see a row or changes one: the reads and writes of
:mod:`hubcore.worklists` check the scope, validate and audit; this module only words what they
return, and lists the choices the page's forms offer (:data:`REASONS`, :data:`TARGETS`,
:data:`OUTCOMES`, :func:`destination_choices`, :func:`holders`). Nothing here imports Panel.

Which worklist a role has (:func:`sections`):

- careers leader: their school's leavers without a confirmed destination (``"leavers"``);
- NCS adviser / LA tracking officer: their own hand-overs, oldest referral first (``"cases"``);
- hub lead: every open case of the hub with who holds it and for how long, the funnel and the
  overdue list (``"hub"``);
- administrator: all three; an analyst (aggregates only) none.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from hubcore import codes, vocabulary
from hubcore.access import Scope
from hubcore.display.base import _meta, plural

#: Role value of an LA tracking officer (``hubcore.access.Role.LA_TRACKING``).
LA_TRACKING = "la_tracking"

#: The worklist sections each role's page shows, by role value.
SECTIONS: dict[str, tuple[str, ...]] = {
    "admin": ("leavers", "hub", "cases"),
    "hub_lead": ("hub",),
    "careers_leader": ("leavers",),
    "ncs_adviser": ("cases",),
    LA_TRACKING: ("cases",),
    "analyst": (),
}

#: Where a careers leader may refer a leaver: code → words.
TARGETS: dict[str, str] = {"ncs": "National Careers Service", LA_TRACKING: "LA tracking"}
#: The receiving organisations as a sentence names them ("referred to the National Careers
#: Service").
TARGET_PHRASES: dict[str, str] = {"ncs": "the National Careers Service",
                                  LA_TRACKING: "LA tracking"}
#: Why a leaver is referred: code → words (every hand-over reason of :mod:`hubcore.codes`).
REASONS: dict[str, str] = {code: vocabulary.label(code) for code in codes.HANDOVER_REASONS}
#: A case's outcome: code → words (the vocabulary's, shared with the offline file).
OUTCOMES: dict[str, str] = vocabulary.CASE_OUTCOMES
#: RONI (risk of NEET) bands: code → words. The thresholds are hubcore.worklists'
#: (docs/worklists.md); the DOMAIN.md bands are worded too should a reader return them.
RONI_BANDS: dict[str, str] = {"high": "High risk", "medium": "Medium risk", "low": "Low risk",
                              "substantial": "Substantial support", "additional":
                              "Additional support", "offer": "Offer of support",
                              "none": "No risk factors"}
#: No RONI score recorded.
NO_RONI = "No score recorded"
#: Why a leaver is on the careers leader's list: state code → words (the vocabulary's).
STATES: dict[str, str] = vocabulary.WORKLIST_STATES
#: The hub lead's funnel stages: code → words (stages :func:`hubcore.worklists.funnel` may
#: name; an unknown stage is shown as its words from the vocabulary).
STAGES: dict[str, str] = {
    "needing_handover": "Leavers needing a hand-over",
    "leavers_needing_handover": "Leavers needing a hand-over",
    "referred": "Referred",
    "contacted": "Contacted",
    "outcome": "Outcome recorded",
    "outcome_recorded": "Outcome recorded",
    "overdue": "Overdue",
}

#: Column titles of the leavers worklist (column → words).
LEAVER_TITLES: dict[str, str] = {
    "leaver_key": "Young person (pseudonym)", "school": "School", "year_group": "Year group",
    "cohort": "Cohort (year left)", "left_on": "Left on", "roni": "RONI band",
    "state": "Why on the list", "destination": "Latest destination",
    "destination_on": "Destination recorded on", "open_case_to": "Open case with",
    "open_case_id": "Open case number", "version": "Version (for edits)",
}
#: Column titles of the cases worklist (column → words).
CASE_TITLES: dict[str, str] = {
    "case_id": "Case number", "leaver_key": "Young person (pseudonym)", "school": "School",
    "year_group": "Year group", "referred_to": "Referred to", "reason": "Reason",
    "intended": "Intended destination", "status": "Status", "left_on": "Left on",
    "referred_on": "Referred on", "open_days": "Open (days)", "attempts": "Contact attempts",
    "last_attempt_on": "Last attempt on", "contacted_on": "First reached on",
    "outcome": "Outcome", "outcome_on": "Outcome on", "held_by": "Held by",
    "held_since": "Held since", "held_days": "Held (days)", "overdue": "Overdue",
    "version": "Version (for edits)",
}


def sections(scope: Scope) -> tuple[str, ...]:
    """The worklist sections of ``scope``'s role (:data:`SECTIONS`; none for a role not
    listed)."""
    return SECTIONS.get(scope.role.value, ())


def _words(values: pd.Series, words: dict, missing: str | None = None) -> pd.Series:
    """Each code of ``values`` in words (an unknown code: its vocabulary words; missing:
    ``missing``)."""
    def one(v: object) -> object:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return missing
        if v in words:
            return words[v]
        return vocabulary.label(v)
    return pd.Series([one(v) for v in values.tolist()], index=values.index, dtype=object)


def _destination(values: pd.Series) -> pd.Series:
    """NCCIS activity codes as their names ("Apprenticeship"); missing stays missing."""
    def one(v: object) -> object:
        if v is None or pd.isna(v):
            return None
        return codes.NCCIS_LABELS.get(int(v), f"NCCIS code {int(v)}")
    return pd.Series([one(v) for v in values.tolist()], index=values.index, dtype=object)


def _dates(values: pd.Series) -> pd.Series:
    """Dates as dates (no time of day): the tables show them as ``YYYY-MM-DD``."""
    return pd.to_datetime(values, errors="coerce").dt.normalize()


def _days(values: pd.Series) -> pd.Series:
    """Durations as whole days (missing stays missing)."""
    return pd.Series([None if v is None or pd.isna(v) else vocabulary.round_value(v, 0)
                      for v in values.tolist()], index=values.index, dtype="Int64")


def _whole(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("Int64")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]``, or missing values where the read has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def leavers_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The careers leader's worklist in words, from :func:`hubcore.worklists.leavers_to_confirm`'s
    ``rows``: ``leaver_key``, ``school``, ``year_group``, ``cohort``, ``left_on`` (date),
    ``roni`` (band in words), ``state`` (why on the list, words), ``destination`` (NCCIS name),
    ``destination_on`` (date), ``open_case_to`` (words), ``open_case_id``, ``version``.
    Metadata ``titles`` (column → words), ``note``."""
    out = pd.DataFrame({
        "leaver_key": _column(rows, "leaver_key").astype(object),
        "school": _column(rows, "school").astype(object),
        "year_group": _whole(_column(rows, "year_group")),
        "cohort": _whole(_column(rows, "cohort")),
        "left_on": _dates(_column(rows, "left_on")),
        "roni": _words(_column(rows, "roni_band"), RONI_BANDS, NO_RONI),
        "state": _words(_column(rows, "state"), STATES),
        "destination": _destination(_column(rows, "destination_code")),
        "destination_on": _dates(_column(rows, "destination_on")),
        "open_case_to": _words(_column(rows, "open_case_to"), TARGETS),
        "open_case_id": _whole(_column(rows, "open_case_id")),
        "version": _whole(_column(rows, "version")),
    }, index=rows.index).reset_index(drop=True)
    return _meta(out, title="Leavers without a confirmed destination", units={},
                 titles=LEAVER_TITLES,
                 note="Choose a young person in the table to refer them or to confirm their "
                      "destination. Young people are shown by pseudonym only.")


def cases_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Hand-over cases in words, from :func:`hubcore.worklists.cases`' ``rows`` (their order
    kept: oldest referral first): ``case_id``, ``leaver_key``, ``school``, ``year_group``,
    ``referred_to``, ``reason``, ``intended`` (NCCIS name), ``status``, ``left_on``,
    ``referred_on`` (dates), ``open_days`` (whole days since referral), ``attempts``,
    ``last_attempt_on``, ``contacted_on``, ``outcome`` (words), ``outcome_on``, ``held_by``,
    ``held_since``, ``held_days`` (whole days), ``overdue`` ("Yes"/"No"), ``version``.
    Metadata ``titles``."""
    overdue = _column(rows, "overdue")
    out = pd.DataFrame({
        "case_id": _whole(_column(rows, "case_id")),
        "leaver_key": _column(rows, "leaver_key").astype(object),
        "school": _column(rows, "school").astype(object),
        "year_group": _whole(_column(rows, "year_group")),
        "referred_to": _words(_column(rows, "to_org_type"), TARGETS),
        "reason": _words(_column(rows, "reason"), REASONS),
        "intended": _destination(_column(rows, "intended_nccis_code")),
        "status": _words(_column(rows, "status"), {}),
        "left_on": _dates(_column(rows, "left_on")),
        "referred_on": _dates(_column(rows, "referred_on")),
        "open_days": _days(_column(rows, "days_open")),
        "attempts": _whole(_column(rows, "attempts")),
        "last_attempt_on": _dates(_column(rows, "last_attempt_on")),
        "contacted_on": _dates(_column(rows, "contacted_on")),
        "outcome": _words(_column(rows, "outcome"), OUTCOMES),
        "outcome_on": _dates(_column(rows, "outcome_on")),
        "held_by": _column(rows, "held_by").astype(object),
        "held_since": _dates(_column(rows, "held_since")),
        "held_days": _days(_column(rows, "days_held")),
        "overdue": pd.Series(["No" if v is None or pd.isna(v) or not bool(v) else "Yes"
                              for v in overdue.tolist()], index=rows.index, dtype=object),
        "version": _whole(_column(rows, "version")),
    }, index=rows.index).reset_index(drop=True)
    # The codes a reassignment needs (who may hold the case), kept out of the table.
    def code(v: object) -> str | None:
        return None if v is None or pd.isna(v) else str(v)

    held = {int(c): (code(t), code(a)) for c, t, a in zip(
        out["case_id"].tolist(), _column(rows, "to_org_type").tolist(),
        _column(rows, "ncs_area").tolist(), strict=True) if not pd.isna(c)}
    return _meta(out, title="Hand-over cases", units={"open_days": "days",
                                                      "held_days": "days"},
                 titles=CASE_TITLES, codes=held,
                 note="Oldest referral first. Choose a case in the table to record a contact "
                      "attempt or an outcome.")


def overdue_cases(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`cases_table` marked overdue (by :func:`hubcore.worklists.cases`'
    own ``overdue`` flag: the transitions definition), in the same order."""
    out = table[table["overdue"] == "Yes"].reset_index(drop=True)
    return _meta(out, title="Overdue cases", units={"open_days": "days", "held_days": "days"},
                 titles=CASE_TITLES, codes=table.attrs.get("display", {}).get("codes", {}),
                 note="Choose an overdue case to hand it to someone else.")


def funnel_table(funnel: pd.DataFrame) -> pd.DataFrame:
    """The hub lead's funnel from :func:`hubcore.worklists.funnel`, its stages in words: the
    read's columns kept (counts as given: already suppressed, ``"c"`` where hidden) with a
    ``stage`` column in words first. Metadata ``titles``."""
    out = funnel.copy()
    if "stage" in out.columns:
        out["stage"] = _words(out["stage"], STAGES)
    for column in ("cohort", "year_group"):
        if column in out.columns:
            out[column] = out[column].astype(object)
    titles = {"stage": "Stage", "people": "Young people", "count": "Young people",
              "young_people": "Young people"}
    return _meta(out.reset_index(drop=True), title="Hand-over funnel", units={},
                 titles={c: t for c, t in titles.items() if c in out.columns},
                 note="Counts of young people; fewer than 6 is shown as c.")


def leavers(engine: Engine, scope: Scope, as_of: dt.date | None = None) -> pd.DataFrame:
    """:func:`leavers_table` of :func:`hubcore.worklists.leavers_to_confirm` (pupil rows:
    guarded and audited there)."""
    from hubcore import worklists

    return leavers_table(worklists.leavers_to_confirm(engine, scope, as_of=as_of))


def cases(engine: Engine, scope: Scope, as_of: dt.date | None = None,
          open_only: bool = True) -> pd.DataFrame:
    """:func:`cases_table` of :func:`hubcore.worklists.cases` (pupil rows: guarded and audited
    there)."""
    from hubcore import worklists

    return cases_table(worklists.cases(engine, scope, as_of=as_of, open_only=open_only))


def funnel(engine: Engine, scope: Scope, as_of: dt.date | None = None) -> pd.DataFrame:
    """:func:`funnel_table` of :func:`hubcore.worklists.funnel` (aggregate, suppressed
    there)."""
    from hubcore import worklists

    return funnel_table(worklists.funnel(engine, scope, as_of=as_of))


def destination_choices() -> dict[str, int]:
    """Every NCCIS activity code as the forms offer it: "name (code)" → code, by code."""
    return {f"{name} ({code})": code for code, name in sorted(codes.NCCIS_LABELS.items())}


def holders(scope: Scope, to_org_type: str | None, ncs_area: str | None,
            users: dict | None = None) -> list[str]:
    """Names of the users a hub lead (or administrator) may hand case of ``to_org_type`` in
    ``ncs_area`` to: NCS advisers (for an NCS case) or LA tracking officers (for an LA-tracking
    case) of that area, from the users file (``users``: :func:`hubcore.users.load_users`'s,
    read if not given), by name. Empty without a users file."""
    if users is None:
        from hubcore import users as users_module

        users = users_module.load_users()
    role = {"ncs": "ncs_adviser", LA_TRACKING: LA_TRACKING}.get(to_org_type or "")
    return sorted(name for name, user in users.items()
                  if user.role == role and (ncs_area is None or user.ncs_area == ncs_area))


def summary(row: dict, kind: str) -> dict[str, str]:
    """What the page says about the chosen row (``kind`` "leaver" or "case"), as words keyed
    by field (the page fills its sentence from these, escaped)."""
    def text(v: object) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return "–"
        if isinstance(v, pd.Timestamp | dt.date):
            return f"{v:%d %B %Y}".lstrip("0")
        return str(v)
    titles = LEAVER_TITLES if kind == "leaver" else CASE_TITLES
    out = {column: text(row.get(column)) for column in titles}
    if kind == "case":
        # Counts in sentences agree with their number ("1 contact attempt", "0 days").
        for column, noun in (("attempts", "contact attempt"), ("open_days", "day"),
                             ("held_days", "day")):
            value = row.get(column)
            out[f"{column}_words"] = "–" if value is None or pd.isna(value) \
                else plural(int(value), noun)
    return out


__all__ = [
    "CASE_TITLES", "LEAVER_TITLES", "OUTCOMES", "REASONS", "RONI_BANDS", "SECTIONS", "STAGES",
    "STATES", "TARGETS", "TARGET_PHRASES", "cases", "cases_table", "destination_choices", "funnel",
    "funnel_table", "holders", "leavers", "leavers_table", "overdue_cases", "sections",
    "summary",
]
