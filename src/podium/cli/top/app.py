"""`podium top`'s screen: the header, the rows (jobs, sheets, processes), the selected row's
detail and the timeline. Readers run in threads and hand what they read to an inbox; a timer
applies it to the model and redraws the rows that changed, so a busy conductor costs one
redraw per tick, not one per event."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from podium.cli.output import STATUS_COLORS
from podium.cli.top import actions, panes, source
from podium.cli.top.model import TopModel
from podium.cli.top.plain import columns_for
from podium.cli.top.view import COLUMNS, Options, Processes, Row, rows, sheet_key
from podium.cli.top.widgets import Confirm, Filter
from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from podium.ipc.schema import ConductorInfo

TICK_SECONDS = 0.25
SAMPLE_SECONDS = 2.0
TIMELINE_LINES = 8


@dataclass(frozen=True, slots=True)
class Settings:
    """How `podium top` runs. Without a socket nothing is read: what the inbox is given is
    all there is (tests, recorded events)."""

    socket: str | None
    readonly: bool = False
    clock: Callable[[], float] = field(default=time.time)
    tick: float = TICK_SECONDS


class TopApp(App[None]):
    """The live monitor."""

    TITLE = "podium top"
    CSS = """
    #header { height: auto; background: $boost; }
    #header, #detail, #timeline { text-wrap: nowrap; text-overflow: ellipsis; }
    #rows { height: 1fr; }
    #panes { height: 10; border-top: solid $primary; }
    #detail { width: 3fr; }
    #timeline { width: 2fr; border-left: solid $primary; padding-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        Binding("j", "down", "down", show=False),
        Binding("k", "up", "up", show=False),
        Binding("s", "sort", "sort"),
        Binding("slash", "filter", "filter"),
        Binding("f", "follow", "follow"),
        Binding("p", "act('p')", "pause"),
        Binding("r", "act('r')", "resume"),
        Binding("c", "act('c')", "cancel"),
        Binding("R", "act('R')", "retry", key_display="R"),
        Binding("x", "act('x')", "kill", show=False),
        Binding("A", "question", "questions", key_display="A"),
        Binding("a", "act('a')", "approve", show=False),
        Binding("d", "act('d')", "reject", show=False),
        Binding("S", "act('S')", "skip", key_display="S", show=False),
        Binding("o", "workspace", "workspace"),
    ]

    def __init__(self, settings: Settings, model: TopModel | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.model = model or TopModel()
        self.inbox: SimpleQueue[source.Item] = SimpleQueue()
        self.options = Options()
        self.processes = Processes()
        self.conductor: ConductorInfo | None = None
        self.trouble: str | None = None
        self.shown: dict[str, Row] = {}
        self.order: list[str] = []
        self.watched: tuple[str, int] | None = None
        self.columns: list[tuple[int, int]] = []
        """The columns shown (index in COLUMNS, width), chosen for the width at start."""
        self.selecting: str | None = None
        """A row to select once it is drawn (a sheet whose job's sheets are being read)."""
        self.drawn_at = -1
        """The second last drawn: ages change once a second even when nothing happens."""

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield DataTable(id="rows", cursor_type="row", zebra_stripes=False)
        with Horizontal(id="panes"):
            yield Static(id="detail")
            yield Static(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        self._fit_columns(self.size.width)
        self.set_interval(self.settings.tick, self.refresh_view)
        if self.settings.socket is not None:
            self._follow_stream(self.settings.socket)
            self.set_interval(SAMPLE_SECONDS, self._sample)
            self._sample()
        self.refresh_view(force=True)

    # What comes in

    def receive(self, item: source.Item) -> None:
        """Hand an item to the screen (any thread): it is applied at the next tick."""
        self.inbox.put(item)

    def refresh_view(self, force: bool = False) -> None:
        """Apply what came in, then redraw what it changed (`force`: the options did)."""
        if not self.query(DataTable):
            return  # the screen is being taken down (quitting): a last tick has nothing to draw
        self._drain()
        changed, reshaped = self.model.take_changed()
        now = self.settings.clock()
        second = int(now)
        if not (force or changed or reshaped) and second == self.drawn_at:
            return
        self.drawn_at = second
        self._draw_rows()
        self.query_one("#header", Static).update(
            _lines(panes.header(self.model, self.conductor, self.processes, now, self.trouble))
        )
        selected = self.selection()
        job_id, sheet = (selected.job_id, selected.sheet) if selected else (None, None)
        self.query_one("#detail", Static).update(
            _lines(panes.detail(self.model, job_id, sheet, now))
        )
        self.query_one("#timeline", Static).update(
            _lines(panes.timeline(self.model, now, TIMELINE_LINES) or ["no event yet"])
        )

    def _drain(self) -> None:
        while True:
            try:
                item = self.inbox.get_nowait()
            except Empty:
                return
            self._absorb(item)

    def _absorb(self, item: source.Item) -> None:
        match item:
            case source.Event(event):
                self.model.apply(event)
                self.trouble = None
            case source.Snapshot(answer):
                self.model.load_snapshot(answer)
                self.trouble = None
                for job_id in self.options.expanded | {self.options.follow or ""}:
                    if job_id in self.model.jobs:
                        self._read_job(job_id)
            case source.Lost(reason):
                self.trouble = reason
            case source.Said(message, error):
                self.notify(message, severity="error" if error else "information")
            case _:
                self._absorb_read(item)

    def _absorb_read(self, item: source.Item) -> None:
        """What a request (not the stream) read."""
        match item:
            case source.JobRead(status):
                self.model.load_job(status)
            case source.Sampled(conductor, processes, approvals):
                self.conductor, self.processes = conductor, Processes.of(processes)
                self.model.load_conductor(conductor)
                self.model.load_approvals(approvals)
            case source.LogsRead(job_id, sheet, lines):
                self.model.set_output(job_id, sheet, lines)
            case source.AttemptsRead(job_id, sheet, attempts):
                self.model.load_attempts(job_id, sheet, attempts)

    # The rows

    def _draw_rows(self) -> None:
        found = rows(self.model, self.options, self.processes, self.settings.clock())
        keys = [r.key for r in found]
        table = self.query_one(DataTable)
        if keys != self.order:
            self._rebuild(table, found, self.selecting if self.selecting in keys else None)
            if self.selecting in keys:
                self.selecting = None
            return
        for row in found:
            if self.shown[row.key].cells != row.cells:
                self._update(table, self.shown[row.key], row)
                self.shown[row.key] = row

    def on_resize(self, event: Resize) -> None:
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int) -> None:
        """Choose the columns for `width`; when they change, draw every row again."""
        wanted = columns_for(width, padded=True)
        if wanted == self.columns:
            return
        table = self.query_one(DataTable)
        selected = self._cursor_key()
        table.clear(columns=True)
        self.columns = wanted
        for index, size in wanted:
            table.add_column(COLUMNS[index], width=size, key=str(index))
        self._rebuild(table, [self.shown[k] for k in self.order], selected)

    def _rebuild(
        self, table: DataTable[Text | str], found: list[Row], selected: str | None = None
    ) -> None:
        selected = selected or self._cursor_key()
        table.clear()
        for row in found:
            table.add_row(*self._cells(row), key=row.key)
        self.shown = {r.key: r for r in found}
        self.order = [r.key for r in found]
        if selected in self.shown:
            table.move_cursor(row=self.order.index(selected))

    def _update(self, table: DataTable[Text | str], old: Row, new: Row) -> None:
        cells = self._cells(new)
        for position, (index, _) in enumerate(self.columns):
            if old.cells[index] != new.cells[index]:  # a new status is a new text too
                table.update_cell(new.key, str(index), cells[position])

    def _cells(self, row: Row) -> list[Text | str]:
        """The row's cells: its name and status styled, the rest plain (cheaper to draw)."""
        style = "dim" if row.kind == "process" else STATUS_COLORS.get(row.status) or ""
        styles = {0: "bold" if row.kind == "job" else "", 1: style}
        return [
            Text(row.cells[i], style=styles[i]) if i in styles else row.cells[i]
            for i, _ in self.columns
        ]

    def _cursor_key(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.order or table.cursor_row >= len(self.order):
            return None
        return self.order[table.cursor_row]

    def selection(self) -> actions.Selection | None:
        """The job (and sheet) the cursor is on."""
        key = self._cursor_key()
        row = self.shown.get(key) if key else None
        if row is None or row.job_id not in self.model.jobs:
            return None
        job = self.model.jobs[row.job_id]
        sheet = self.model.sheets.get(row.job_id, {}).get(row.sheet or -1)
        return actions.Selection(job.job_id, job.status, row.sheet, sheet.status if sheet else None)

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        """Enter (the table's own key) shows or hides the job's sheets."""
        self.action_expand()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        selected = self.selection()
        if selected is not None and selected.sheet is not None:
            self._watch_output(selected.job_id, selected.sheet)
        self.refresh_view(force=True)

    # Keys

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_expand(self) -> None:
        selected = self.selection()
        if selected is None:
            return
        self.options = self.options.toggled(selected.job_id)
        if self.options.shows_sheets(selected.job_id):
            self._read_job(selected.job_id)
        self.refresh_view(force=True)

    def action_sort(self) -> None:
        self.options = self.options.next_sort()
        self.notify(f"jobs by {self.options.sort}")
        self.refresh_view(force=True)

    def action_filter(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None:
                self.options = self.options.filtered(text)
                self.refresh_view(force=True)

        self.push_screen(Filter(self.options.filter), chosen)

    def action_follow(self) -> None:
        selected = self.selection()
        self.options = self.options.following(selected.job_id if selected else None)
        if self.options.follow is not None:
            self._read_job(self.options.follow)
            self.notify(f"following job {self.options.follow} (f again: every job)")
        self.refresh_view(force=True)

    def action_question(self) -> None:
        """Select the sheet that has waited longest for a person, its job's sheets shown."""
        waiting = self.model.open_approvals()
        if not waiting:
            self.notify("no sheet waits for an answer")
            return
        job_id, sheet = waiting[0]["job_id"], waiting[0]["sheet"]
        if not self.options.shows_sheets(job_id):
            self.options = self.options.toggled(job_id)
            self._read_job(job_id)
        key = sheet_key(job_id, sheet)
        if key in self.order:
            self.query_one(DataTable).move_cursor(row=self.order.index(key))
        else:
            self.selecting = key
        self.refresh_view(force=True)

    def action_workspace(self) -> None:
        selected = self.selection()
        if selected is None:
            self.notify("select a job first (workspace)")
            return
        job = self.model.jobs[selected.job_id]
        self.notify(f"job {job.job_id}'s workspace: {job.workspace or 'not known yet'}")

    def action_act(self, key: str) -> None:
        planned = actions.plan(key, self.selection(), readonly=self.settings.readonly)
        if isinstance(planned, str):
            self.notify(planned, severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(planned)

        self.push_screen(Confirm(planned.question), answered)

    # Readers (threads)

    @work(thread=True, group="stream", exclusive=True)
    def _follow_stream(self, socket: str) -> None:
        worker = get_current_worker()
        for item in source.Feed(socket).items(lambda: worker.is_cancelled):
            self.inbox.put(item)

    @work(thread=True, group="output", exclusive=True)
    def _read_output(self, socket: str, job_id: str, sheet: int) -> None:
        worker = get_current_worker()
        self._ask(lambda c: source.read_attempts(c, job_id, sheet))
        self._ask(lambda c: source.read_logs(c, job_id, sheet))
        feed = source.Feed(
            socket,
            snapshot=False,
            job_ids=[job_id],
            kinds=["output"],
            output=[{"job_id": job_id, "sheet": sheet}],
        )
        for item in feed.items(lambda: worker.is_cancelled):
            if isinstance(item, source.Event):
                self.inbox.put(item)

    def _watch_output(self, job_id: str, sheet: int) -> None:
        if self.settings.socket is None or self.watched == (job_id, sheet):
            return
        self.watched = (job_id, sheet)
        self._read_output(self.settings.socket, job_id, sheet)

    def _sample(self) -> None:
        self._in_thread(source.read_sampled, "sample")

    def _read_job(self, job_id: str) -> None:
        self._in_thread(lambda c: source.read_job(c, job_id), f"job {job_id}")

    def _send(self, action: actions.Action) -> None:
        self._in_thread(lambda c: source.Said(action.send(c)), action.name)

    def _in_thread(self, read: Callable[[ConductorClient], source.Item], name: str) -> None:
        if self.settings.socket is not None:
            self.run_worker(lambda: self._ask(read), name=name, thread=True, group=name)

    def _ask(self, read: Callable[[ConductorClient], source.Item]) -> None:
        """Ask the conductor on a connection of this thread's own; its refusal is said."""
        assert self.settings.socket is not None
        try:
            with ConductorClient(self.settings.socket) as conductor:
                self.inbox.put(read(conductor))
        except RemoteError as exc:
            self.inbox.put(source.Said(str(exc), error=True))
        except ConductorUnavailable as exc:
            self.inbox.put(source.Lost(str(exc)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.trouble = f"{event.worker.name} failed: {event.worker.error}"


def _lines(lines: list[str]) -> Text:
    """Lines as they are: cut at the pane's edge, never wrapped into the next one."""
    return Text("\n".join(lines), no_wrap=True, overflow="ellipsis")
