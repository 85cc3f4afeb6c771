"""Worklists at ``/worklists``: where a hand-over is made, picked up and closed (issue #15).

By role (:func:`hubcore.display.worklists.sections`):

- a **careers leader** sees their school's leavers without a confirmed destination (reason to
  act, RONI band, open case) and refers one to the NCS or LA tracking, or confirms or corrects
  a destination;
- an **NCS adviser** (or **LA tracking officer**) sees their area's NCS (LA-tracking) cases,
  oldest referral first, and records contact attempts and outcomes;
- a **hub lead** sees every open case of the hub with who holds it and for how long, the
  funnel and the overdue list, and hands an overdue case to someone else;
- an administrator sees all of it; an analyst (aggregates only) is told the page is not for
  their role.

The scope is the signed-in user's (:func:`dashboards.common.context.default_scope`), never a
link's: there is no school or area in this page's URL, so a careers leader cannot open another
school's list. Every read and write goes through :mod:`hubcore.worklists` (scope check,
validation, audit, version check); rows are worded by :mod:`hubcore.display.worklists`; this
module computes nothing (tests/test_pages_compute_nothing.py). Every action sends back the
``version`` of the row as it was shown: a row changed since is refused with the API's message
(:class:`~hubcore.worklists.StaleEdit`), and the tables are read again. Data text reaches the
browser as table cells (escaped by Tabulator's ``plaintext``) or through
:func:`dashboards.common.layout.md`.

Reads here are not shared between sessions (unlike the other pages' caches): each is a
pupil-level read audited as the signed-in user, and the lists change with every edit.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from io import BytesIO
from pathlib import Path

import pandas as pd
import panel as pn

from dashboards.common import layout, tables
from dashboards.common.context import default_scope
from dashboards.common.page import HubPage, View, served_page
from hubcore import codes, data_version, vocabulary
from hubcore.display import plural
from hubcore.display import worklists as shown
from hubcore.errors import HubcoreError

_PANE = {"sizing_mode": "stretch_width"}
#: The destination choice meaning "none given", and its value (a Select shows a None value as
#: a blank box).
NONE_GIVEN = "None given"
NO_CODE = 0


def _today() -> dt.date:
    return dt.date.today()


class Worklists(HubPage):
    """The worklists of the signed-in user's role (served page or notebook cell)."""

    page_title = "Careers Hub · worklists"
    url_params = {"hub_id": "hub"}
    offers_all_hubs = False
    # Pupil rows read per user (audited): nothing to warm for everyone.
    warm_at_start = False

    def __init__(self, **params):
        super().__init__(**params)
        self._scope = default_scope(self._engine, self.hub_id)
        self._sections = shown.sections(self._scope)
        self._memo: dict = {}
        views: list[View] = [Heading(self)]
        if "leavers" in self._sections:
            views.append(LeaversView(self))
        if "hub" in self._sections:
            views += [FunnelView(self), OverdueView(self), HubCasesView(self)]
        if "cases" in self._sections:
            views.append(CasesView(self))
        self.show(*views)
        self._check_link()

    def on_change(self, changed: set[str]) -> None:
        if "hub_id" in changed:  # an administrator's other hub
            self._scope = default_scope(self._engine, self.hub_id)
            self._memo = {}

    def empty(self) -> str | None:
        if not self._sections:
            return ("**The worklists are not available to your role.** They hold young "
                    "people's cases, for careers leaders, NCS advisers, LA tracking officers "
                    "and hub leads; your pages are listed on the [home page](./).")
        if self.hub_id is None:
            return ("No hub in this database yet. Import schools and leavers "
                    "(`hubcore import …`) or try the synthetic demo (`hubcore demo`).")
        return None

    # --- state: the worklists' reads, once per data version ---------------------------------

    def frame(self, kind: str) -> pd.DataFrame:
        """The ``kind`` worklist ("leavers", "cases" or "funnel") in words, for the signed-in
        user's scope: read again whenever the data version moved (any edit or import)."""
        version = data_version.current(self._engine)
        key = (kind, self.hub_id, version)
        if key not in self._memo:
            read = {"leavers": shown.leavers, "cases": shown.cases,
                    "funnel": shown.funnel}[kind]
            self._memo = {k: v for k, v in self._memo.items() if k[2] == version}
            self._memo[key] = read(self._engine, self._scope)
        return self._memo[key]

    def act(self, message: pn.pane.Alert, action, done: str, **values) -> bool:
        """Run a write (``action()``, a :mod:`hubcore.worklists` call) and say how it went in
        ``message``: ``done`` (a trusted template filled with ``values`` and the call's
        result as ``result``) on success, the refusal's own words otherwise. Either way the
        tables are read again. Returns whether it was saved."""
        try:
            result = action()
        except HubcoreError as exc:  # StaleEdit, OutOfScope, InvalidEdit: said in words
            said, kind, saved = layout.md("**Not saved.** {why}", why=str(exc)), "danger", False
        else:
            said, kind, saved = layout.md(done, result=result, **values), "success", True
        self._memo = {}
        # The tables first, then the message: the browser gets them in this order, so what
        # the message says is already in the tables when it appears.
        self.refresh()
        message.param.update(object=said, alert_type=kind, visible=True)
        return saved

    def controls(self) -> pn.Column:
        return pn.Column(
            pn.widgets.Select.from_param(self.param.hub_id, name="Hub"),
            pn.pane.Markdown(
                "Your worklist follows your role and your school or area, as signed in. "
                "Choose a row in a table to act on it. Every change is recorded with your "
                "name, and a row someone else changed after you opened the page is not "
                "overwritten: reload to see their change."),
        )


class Heading(View):
    """Whose worklists these are."""

    depends = ("hub_id",)

    def build(self) -> pn.pane.Markdown:
        self._text = pn.pane.Markdown(**_PANE)
        return self._text

    def update(self) -> None:
        page = self.page
        scope = page._scope
        who = {"careers_leader": "your school's leavers", "ncs_adviser":
               "your area's NCS cases", shown.LA_TRACKING: "your area's LA-tracking cases",
               "hub_lead": "your hub's cases", "admin": "every list of the hub"}
        self._text.object = "\n\n".join([
            layout.md("## Worklists: {hub}", hub=page._hub_name()),
            layout.md("Signed in as {user} ({role}): {what}.", user=scope.user,
                      role=vocabulary.label(scope.role.value),
                      what=who.get(scope.role.value, "your lists")),
        ])


class _Chooser(View):
    """A worklist table whose rows can be chosen, with the chosen row's summary and the
    outcome of the last action."""

    kind = "cases"  # which read fills the table
    noun = ("case", "cases")
    key_column = "case_id"
    stem = "worklist"
    heading = ""
    #: Whether the view offers its worklist as a file to fill in offline and import back.
    offline = True

    def build(self) -> pn.Column:
        self._table = None
        self._rows = pd.DataFrame()
        self._chosen: dict | None = None
        self._note = pn.pane.Markdown("", **_PANE, styles={"font-size": "0.9em"})
        self._problem = pn.pane.Alert("", alert_type="warning", visible=False, **_PANE)
        self._picked = pn.pane.Markdown("", **_PANE)
        self.message = pn.pane.Alert("", alert_type="success", visible=False, **_PANE)
        self._holder = pn.Column(**_PANE)
        self._form = pn.Column(self._picked, *self.form(), self.message, **_PANE)
        files = tables.downloads(lambda: self._rows, self.stem, sheet_name="Worklist")
        if self.offline:
            files.append(pn.widgets.FileDownload(
                callback=self._fill_in, filename=f"{self.stem}-to-fill-in.xlsx", embed=False,
                label="Download to fill in offline (Excel)"))
        return pn.Column(pn.pane.Markdown(self.heading), self._note, self._problem, files,
                         self._holder, self._form, **_PANE)

    def _fill_in(self) -> BytesIO:
        """The worklist as a file to fill in and import back (``hubcore import worklist``):
        :func:`hubcore.worklists.offline.export`'s XLSX (Worklist, Notes, Codes sheets)."""
        from hubcore.worklists import offline

        with tempfile.TemporaryDirectory() as folder:
            path = offline.export(self.page._engine, self.page._scope, self.kind,
                                  Path(folder).joinpath("worklist.xlsx"))
            return BytesIO(path.read_bytes())

    def form(self) -> list:
        """The action widgets under the table."""
        return []

    def rows(self) -> pd.DataFrame:
        """The table's rows (worded)."""
        return self.page.frame(self.kind)

    def update(self) -> None:
        try:
            rows = self.rows()
        except HubcoreError as exc:  # e.g. a hub without pupil data sharing
            self._problem.object = layout.md("{why}", why=str(exc))
            self._problem.visible, self._holder.visible, self._form.visible = True, False, False
            return
        self._problem.visible, self._holder.visible, self._form.visible = False, True, True
        self._rows = rows
        meta = rows.attrs.get("display", {})
        self._note.object = layout.md("{note} ({count} in the list.)", note=meta.get("note", ""),
                                      count=plural(len(rows), *self.noun))
        first = self._table is None
        self._table = tables.show_in(self._holder, self._table, rows, name_column="leaver_key",
                                     titles=meta.get("titles", {}), selectable=1)
        if first:
            self._table.param.watch(self._selected, "selection")
        # What was chosen may have changed or gone: choose again.
        self._table.selection = []
        self._choose(None)

    def _selected(self, event) -> None:
        index = (event.new or [None])[0]
        if index is None or index >= len(self._rows):
            self._choose(None)
        else:
            self._choose(self._rows.iloc[index].to_dict())

    def _choose(self, row: dict | None) -> None:
        self._chosen = row
        self._picked.object = self.sentence(row)
        self.chosen(row)

    def chosen(self, row: dict | None) -> None:
        """Fill the form's choices for ``row`` (None: nothing chosen)."""

    def sentence(self, row: dict | None) -> str:
        raise NotImplementedError

    def _need_row(self) -> dict | None:
        if self._chosen is None:
            self.message.object = "Choose a row in the table first."
            self.message.alert_type = "warning"
            self.message.visible = True
        return self._chosen


class LeaversView(_Chooser):
    """A careers leader's leavers without a confirmed destination: refer one, or confirm or
    correct a destination."""

    depends = ("hub_id",)
    kind = "leavers"
    noun = ("young person", "young people")
    key_column = "leaver_key"
    stem = "leavers-to-confirm"
    heading = "### Leavers without a confirmed destination"

    def form(self) -> list:
        destinations = shown.destination_choices()
        self._to = pn.widgets.Select(name="Refer to", options={v: k for k, v in
                                                                shown.TARGETS.items()})
        self._reason = pn.widgets.Select(name="Reason for referral",
                                         options={v: k for k, v in shown.REASONS.items()})
        self._intended = pn.widgets.Select(name="Intended destination",
                                           options={NONE_GIVEN: NO_CODE, **destinations})
        self._referred_on = pn.widgets.DatePicker(name="Referred on", value=_today())
        self._refer = pn.widgets.Button(name="Refer", button_type="primary")
        self._refer.on_click(self._do_refer)
        self._code = pn.widgets.Select(name="Confirmed destination", options=destinations)
        self._destination_on = pn.widgets.DatePicker(name="Destination recorded on",
                                                     value=_today())
        self._confirm = pn.widgets.Button(name="Confirm destination", button_type="success")
        self._confirm.on_click(self._do_confirm)
        return [
            pn.pane.Markdown("#### Refer to the NCS or LA tracking"),
            pn.Row(self._to, self._reason, self._intended, self._referred_on),
            self._refer,
            pn.pane.Markdown("#### Confirm or correct the destination"),
            pn.Row(self._code, self._destination_on),
            self._confirm,
        ]

    def sentence(self, row: dict | None) -> str:
        if row is None:
            return "Choose a young person in the table to refer them or confirm a destination."
        words = shown.summary(row, "leaver")
        return layout.md(
            "**Chosen: {key}** (Year {yg}, {school}, left {left}) · RONI band: **{roni}** · "
            "{state} · latest destination: {dest} · open case: {case}",
            key=words["leaver_key"], yg=words["year_group"], school=words["school"],
            left=words["left_on"], roni=words["roni"], state=words["state"],
            dest=words["destination"], case=words["open_case_to"])

    def _do_refer(self, _event=None) -> None:
        row = self._need_row()
        if row is None:
            return
        from hubcore import worklists

        page = self.page
        to = self._to.value
        page.act(self.message, lambda: worklists.refer(
            page._engine, page._scope, row["leaver_key"], to, self._reason.value,
            intended_nccis_code=self._intended.value or None, on=self._referred_on.value,
            version=_int(row["version"])),
            "Referred {key} to {to} (case {result}).", key=row["leaver_key"],
            to=shown.TARGET_PHRASES.get(to, to))

    def _do_confirm(self, _event=None) -> None:
        row = self._need_row()
        if row is None:
            return
        from hubcore import worklists

        page = self.page
        code = self._code.value
        page.act(self.message, lambda: worklists.confirm_destination(
            page._engine, page._scope, row["leaver_key"], _int(row["version"]), code,
            self._destination_on.value),
            "Destination of {key} recorded: {name}.", key=row["leaver_key"],
            name=codes.NCCIS_LABELS.get(code, code))


class CasesView(_Chooser):
    """An NCS adviser's or LA tracking officer's cases, oldest referral first: record a
    contact attempt or an outcome."""

    depends = ("hub_id",)
    kind = "cases"
    stem = "cases"
    heading = "### Your cases, oldest referral first"

    def form(self) -> list:
        self._attempt_on = pn.widgets.DatePicker(name="Contact attempt on", value=_today())
        self._reached = pn.widgets.Select(name="Reached the young person?",
                                          options={"Reached": True, "Not reached": False})
        self._contact = pn.widgets.Button(name="Record contact attempt", button_type="primary")
        self._contact.on_click(self._do_contact)
        self._outcome = pn.widgets.Select(name="Outcome",
                                          options={v: k for k, v in shown.OUTCOMES.items()})
        self._outcome_on = pn.widgets.DatePicker(name="Outcome on", value=_today())
        self._outcome_code = pn.widgets.Select(
            name="Destination (if known)",
            options={NONE_GIVEN: NO_CODE, **shown.destination_choices()})
        self._record = pn.widgets.Button(name="Record outcome", button_type="success")
        self._record.on_click(self._do_outcome)
        return [
            pn.pane.Markdown("#### Contact attempt"),
            pn.Row(self._attempt_on, self._reached),
            self._contact,
            pn.pane.Markdown("#### Outcome"),
            pn.Row(self._outcome, self._outcome_on, self._outcome_code),
            self._record,
        ]

    def sentence(self, row: dict | None) -> str:
        if row is None:
            return "Choose a case in the table to record a contact attempt or an outcome."
        words = shown.summary(row, "case")
        return layout.md(
            "**Chosen: case {case}**, {key} (Year {yg}, {school}) · {reason} · referred "
            "{referred} ({days} ago) · {attempts} · status: {status}",
            case=words["case_id"], key=words["leaver_key"], yg=words["year_group"],
            school=words["school"], reason=words["reason"], referred=words["referred_on"],
            days=words["open_days_words"], attempts=words["attempts_words"],
            status=words["status"])

    def _do_contact(self, _event=None) -> None:
        row = self._need_row()
        if row is None:
            return
        from hubcore import worklists

        page = self.page
        reached = bool(self._reached.value)
        page.act(self.message, lambda: worklists.record_contact(
            page._engine, page._scope, _int(row["case_id"]), _int(row["version"]),
            self._attempt_on.value, reached),
            "Contact attempt recorded for case {case} ({how}).", case=_int(row["case_id"]),
            how="reached" if reached else "not reached")

    def _do_outcome(self, _event=None) -> None:
        row = self._need_row()
        if row is None:
            return
        from hubcore import worklists

        page = self.page
        outcome = self._outcome.value
        page.act(self.message, lambda: worklists.record_outcome(
            page._engine, page._scope, _int(row["case_id"]), _int(row["version"]), outcome,
            self._outcome_on.value, nccis_code=self._outcome_code.value or None),
            "Outcome recorded for case {case}: {outcome}.", case=_int(row["case_id"]),
            outcome=shown.OUTCOMES.get(outcome, outcome))


class OverdueView(_Chooser):
    """A hub lead's overdue cases: hand one to someone else."""

    depends = ("hub_id",)
    kind = "cases"
    stem = "overdue-cases"
    offline = False  # a reassignment is made here, not in the offline file
    heading = "### Overdue cases"

    def rows(self) -> pd.DataFrame:
        return shown.overdue_cases(self.page.frame("cases"))

    def form(self) -> list:
        # A choice of the users who may hold the chosen case (users file); a name typed in
        # where the suite runs without sign-in.
        self._holder_choice = pn.widgets.Select(name="Hand the case to", options=[])
        self._holder_name = pn.widgets.TextInput(name="Hand the case to (user name)",
                                                 visible=False)
        self._reassign = pn.widgets.Button(name="Reassign", button_type="primary")
        self._reassign.on_click(self._do_reassign)
        return [pn.Row(self._holder_choice, self._holder_name), self._reassign]

    def chosen(self, row: dict | None) -> None:
        names: list[str] = []
        if row is not None:
            to, area = self._rows.attrs["display"]["codes"].get(row["case_id"], (None, None))
            names = shown.holders(self.page._scope, to, area)
        self._holder_choice.options = names
        self._holder_choice.visible = bool(names) or row is None
        self._holder_name.visible = row is not None and not names

    def sentence(self, row: dict | None) -> str:
        if row is None:
            return "Choose an overdue case to hand it to someone else."
        words = shown.summary(row, "case")
        return layout.md(
            "**Chosen: case {case}**, {key} ({school}) · with {to} · held by {holder} for "
            "{days}", case=words["case_id"], key=words["leaver_key"],
            school=words["school"], to=words["referred_to"], holder=words["held_by"],
            days=words["held_days_words"])

    def _do_reassign(self, _event=None) -> None:
        row = self._need_row()
        if row is None:
            return
        from hubcore import worklists

        page = self.page
        to_user = (self._holder_choice.value if self._holder_choice.visible
                   else self._holder_name.value.strip())
        if not to_user:
            self.message.object = "Choose who should hold the case."
            self.message.alert_type = "warning"
            self.message.visible = True
            return
        page.act(self.message, lambda: worklists.reassign(
            page._engine, page._scope, _int(row["case_id"]), _int(row["version"]), to_user),
            "Case {case} handed to {user}.", case=_int(row["case_id"]), user=to_user)


class _TableView(View):
    """A read-only table of the page's ``source`` frame under a heading, with its downloads
    and, where the read is refused, the reason in words instead."""

    depends = ("hub_id",)
    source = ""
    heading = ""
    stem = ""
    sheet = ""
    name_column: str | None = None

    def build(self) -> pn.Column:
        self._table = None
        self._rows = pd.DataFrame()
        self._note = pn.pane.Markdown("", visible=False, **_PANE, styles={"font-size": "0.9em"})
        self._problem = pn.pane.Alert("", alert_type="warning", visible=False, **_PANE)
        self._holder = pn.Column(**_PANE)
        return pn.Column(pn.pane.Markdown(self.heading), self._note, self._problem,
                         tables.downloads(lambda: self._rows, self.stem, sheet_name=self.sheet),
                         self._holder, **_PANE)

    def update(self) -> None:
        try:
            rows = self.page.frame(self.source)
        except HubcoreError as exc:
            self._problem.object = layout.md("{why}", why=str(exc))
            self._problem.visible, self._holder.visible = True, False
            return
        self._problem.visible, self._holder.visible = False, True
        self._rows = rows
        meta = rows.attrs["display"]
        note = meta.get("note", "")
        self._note.object = layout.md("{note}", note=note)
        self._note.visible = bool(note)
        self._table = tables.show_in(self._holder, self._table, rows,
                                     name_column=self.name_column,
                                     titles=meta.get("titles", {}))


class HubCasesView(_TableView):
    """Every open case of the hub, with who holds it and for how long."""

    source = "cases"
    heading = "### Every open case of the hub"
    stem = "open-cases"
    sheet = "Open cases"
    name_column = "leaver_key"


class FunnelView(_TableView):
    """The hub's hand-over funnel (counts of young people, suppressed by the API)."""

    source = "funnel"
    heading = "### Hand-over funnel"
    stem = "worklist-funnel"
    sheet = "Funnel"


def _int(value) -> int:
    """A key or version from a table row as a plain ``int`` (the API's type)."""
    return int(value)


if pn.state.served:
    served_page(Worklists).servable()
