"""Review actions of the app: decisions by key, edits behind a clingo gate, undo, bulk approval."""

from __future__ import annotations

from textual import work
from textual.widgets import TabbedContent

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
from asp_ft_tui.tui.widgets.components import ComponentsPane
from asp_ft_tui.tui.widgets.queue import TASK_CYCLE, ReviewQueue


class ReviewActions:
    """Mixed into the app: handlers work on `self.session` and the Review tab's queue."""

    def action_cycle_task(self) -> None:
        queue = self.query_one(ReviewQueue)
        queue.task_filter = TASK_CYCLE[(TASK_CYCLE.index(queue.task_filter) + 1) % len(TASK_CYCLE)]
        self._load_queue()

    def action_step(self, delta: int) -> None:
        self.query_one(ReviewQueue).step(delta)

    def action_next_pending(self) -> None:
        queue = self.query_one(ReviewQueue)
        start = queue.keys.index(queue.current) + 1 if queue.current in queue.keys else 0
        for key in queue.keys[start:] + queue.keys[:start]:
            if self.session.status_of(self.session.rows[key]) in ("pending", "changed"):
                queue.move_to(key)
                return
        self.notify("nothing pending here", timeout=3)

    def _decide(self, status: str, *, edit: str | None = None) -> None:
        from asp_ft_tui.review import ReviewError
        from asp_ft_tui.store import StoreError

        queue = self.query_one(ReviewQueue)
        key = queue.current
        if key is None or self.session is None:
            return
        try:
            if edit is not None and status == "approved":
                self.session.approve_edit(key, edit, self.engine)
            elif edit is not None:
                self.session.save_edit(key, edit, self.engine)
            else:
                self.session.decide(key, status)
        except (ReviewError, StoreError) as err:
            self.notify(str(err), severity="error")
            return
        except OSError as err:
            self.report_failure("the decision was not saved", err)
            return
        if status == "pending":  # a saved edit: stay and show it
            self._after_decision(key)
            self.notify("edit saved; the sample stays pending until you approve it", timeout=4)
            return
        self._after_decision(key, show=False)
        queue.step(1)
        # The next sample in the same frame as the decision, not one frame later when the table's
        # highlight arrives (which then finds it shown).
        self._sample_highlighted(ReviewQueue.Highlighted(queue.current))

    def _after_decision(self, key: str, show: bool = True) -> None:
        row = self.session.rows.get(key)
        if row is None:
            return
        self.query_one(ReviewQueue).update_row(key, self.session.status_of(row))
        bench = self.session.library.get(row.benchmark_id)
        if bench is not None:
            self.query_one(BenchmarkTree).update_benchmark(bench, self.session.summaries.get(bench.id))
        if show:
            self._sample_highlighted(ReviewQueue.Highlighted(self.query_one(ReviewQueue).current))
        self._save_soon()

    def action_approve(self) -> None:
        self._decide("approved")

    def action_reject(self) -> None:
        self._decide("rejected")

    def action_only_benchmark(self) -> None:
        queue = self.query_one(ReviewQueue)
        if queue.benchmark_filter is not None:
            queue.benchmark_filter = None
        else:
            key = queue.current
            if key is None:
                self.notify("no sample is selected: b narrows the list to the selected sample's benchmark "
                            "(f and t change the other filters)", timeout=5)
                return
            queue.benchmark_filter = self.session.rows[key].benchmark_id
        self._load_queue()

    def action_edit(self) -> None:
        from asp_ft_tui.tui.screens.editor import EditorScreen, Saved

        if self.query_one(TabbedContent).active == "components":
            self._edit_component()
            return
        key = self.query_one(ReviewQueue).current
        if key is None:
            return
        sample = self.session.sample(key)
        saved = self.session.saved_edit(key)  # an edit of older content does not fit this answer
        start = sample.answer if saved is None else saved

        def done(saved: Saved | None) -> None:
            if saved is not None:
                self._decide("approved" if saved.approve else "pending", edit=saved.code)

        explain = ("ctrl+s saves the edit and leaves the sample pending (a later approve approves the edit); "
                   "ctrl+o saves and approves; escape twice discards. The answer must pass clingo in the sample's context.")
        self.push_screen(EditorScreen(f"Edit the answer of {key}", start, sample.context, self.engine,
                                      require_valid=True, explain=explain, can_approve=True, subject="answer"), done)

    def _edit_component(self) -> None:
        from asp_ft_tui.tui.screens.editor import EditorScreen, Saved

        pane = self.query_one(ComponentsPane)
        slot = pane.selected_slot()
        bench = self.current_benchmark
        if slot is None or bench is None or getattr(pane, "structure", None) is None:
            self.notify("highlight a component first (arrow keys in the list on the right)", timeout=4)
            return
        structure = pane.structure

        def done(saved: Saved | None) -> None:
            if saved is not None and saved.code != structure.code_of(slot):
                self.save_component(bench, slot, saved.code)

        explain = ("ctrl+s writes this component to structure.json and rebuilds the benchmark's samples (even if "
                   "clingo rejects it; reviewed samples it changes show as changed); escape twice discards.")
        self.push_screen(EditorScreen(f"Edit {slot} of {bench.id}", structure.code_of(slot),
                                      structure.context_for(slot), self.engine, require_valid=False,
                                      explain=explain), done)

    @work(thread=True, exclusive=True, group="build", name="saving the component", exit_on_error=False)
    def save_component(self, bench: Benchmark, slot: str, code: str) -> None:
        from asp_ft_tui.extraction import save_component
        from asp_ft_tui.samples import build_samples

        ok = save_component(bench, slot, code, self.engine)
        build_samples([bench], self.session.prompts, self.engine, self.session.settings, self.session.cache)
        self.post_message(self.BenchmarkChanged(bench.id))
        self.post_message(self.WorkDone(f"saved {slot} of {bench.id}" + ("" if ok else " (it does not pass clingo)"),
                                        "information" if ok else "warning"))

    def action_undo(self) -> None:
        if self.session is None:
            return
        from asp_ft_tui.store import StoreError

        try:
            key = self.session.undo()
        except StoreError as err:
            self.notify(str(err), severity="error")
            return
        except OSError as err:
            self.report_failure("undo was not saved", err)
            return
        if key is None:
            self.notify("nothing to undo", timeout=3)
            return
        if key in self.query_one(ReviewQueue).keys:
            self.query_one(ReviewQueue).move_to(key)
        self._after_decision(key)

    def action_bulk_approve(self) -> None:
        from asp_ft_tui.tui.screens.confirm import ConfirmScreen

        bench_id = self._focus_benchmark_id()
        if bench_id is None:
            return
        targets = [r for r in self.session.rows_of(bench_id) if r.valid
                   and self.session.status_of(r) in ("pending", "changed")]
        if not targets:
            self.notify("no valid pending samples in this benchmark", timeout=4)
            return

        def done(choice: str | None) -> None:
            if choice == "yes":
                from asp_ft_tui.store import StoreError

                try:
                    count = self.session.bulk_approve(bench_id)
                except StoreError as err:
                    self.notify(str(err), severity="error")
                    return
                except OSError as err:
                    self.report_failure("the approvals were not saved", err)
                    return
                self._queue_loaded = False
                if self.query_one(TabbedContent).active == "review":
                    self._load_queue()
                self.query_one(BenchmarkTree).update_benchmark(self.session.library.get(bench_id),
                                                               self.session.summaries.get(bench_id))
                self.notify(f"approved {counted(count, 'sample')} of {bench_id}")

        what = "the valid pending sample" if len(targets) == 1 else f"all {len(targets)} valid pending samples"
        self.push_screen(ConfirmScreen(f"Approve {what} of {bench_id}?"), done)

    def _focus_benchmark_id(self) -> str | None:
        if self.query_one(TabbedContent).active == "review":
            key = self.query_one(ReviewQueue).current
            return self.session.rows[key].benchmark_id if key else None
        return self.current_benchmark.id if self.current_benchmark else None

