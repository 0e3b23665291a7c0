"""Component review: the benchmark's description and original ASP beside its extracted
components, each with its description (and tone variants), code, clingo status and the
faithfulness verdict."""

from __future__ import annotations

import json

from rich.console import Group
from rich.panel import Panel
from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ListItem, ListView, Static

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import Structure, StructureError, meta_path, structure_path
from asp_ft_tui.domain.tones import TONES
from asp_ft_tui.tui.visible import excerpt, visible


def load_structure(bench: Benchmark) -> tuple[Structure | None, dict]:
    try:
        structure = Structure.from_dict(json.loads(structure_path(bench).read_bytes()))
    except (OSError, ValueError, StructureError):
        structure = None
    try:
        meta = json.loads(meta_path(bench).read_bytes())
    except (OSError, ValueError):
        meta = {}
    return structure, meta


def _tone_order(tone: str) -> int:
    return TONES.index(tone) if tone in TONES else len(TONES)


def tones_present(descriptions: dict[str, dict[str, str]]) -> list[str]:
    """The five tones that some description is written in, in their usual order."""
    found = {tone for by_tone in descriptions.values() for tone in by_tone}
    return [tone for tone in TONES if tone in found]


class ComponentItem(ListItem):
    def __init__(self, slot: str, renderable) -> None:
        super().__init__(Static(renderable))
        self.slot = slot


class ComponentsPane(Horizontal):
    """Left: NL / IR / ASP.txt. Right: the components, one list item each."""

    _built = False

    def build(self) -> None:
        """Make the pane's widgets, once, when the tab first opens (not at launch)."""
        if self._built:
            return
        self._built = True
        scroll = VerticalScroll(id="source-scroll")
        self.mount(scroll, ListView(id="component-list"))
        scroll.mount(Static(id="source"))

    def show(self, bench: Benchmark | None) -> None:
        self.build()
        self.bench = bench
        source = self.query_one("#source", Static)
        items = self.query_one("#component-list", ListView)
        items.clear()
        if bench is None:
            source.update(Text("Select a benchmark in the Benchmarks tab.", style="dim"))
            return
        parts = [Text(visible(bench.id), style="bold")]
        whole = f"the whole file is in {visible(str(bench.path))}"
        if bench.nl is not None:
            parts.append(Panel(excerpt(bench.nl.strip(), more=whole), title="NL.txt", border_style="blue"))
        if bench.ir is not None:
            parts.append(Panel(excerpt(bench.ir.strip(), more=whole), title="IR.txt", border_style="blue"))
        parts.append(Panel(excerpt(bench.asp.rstrip(), more=whole), title=visible(bench.asp_file.name),
                           border_style="cyan"))
        source.update(Group(*parts))
        structure, meta = load_structure(bench)
        if structure is None:
            state = meta.get("error") or "not extracted yet: press x to extract it"
            items.append(ListItem(Static(excerpt(str(state), "yellow"))))
            return
        faith = meta.get("faithfulness") or {}
        provenance = meta.get("provenance") or {}
        descriptions = meta.get("descriptions") or {}
        present = tones_present(descriptions)
        tones_note = ", template tones" if provenance.get("template_tones") else ""
        verdict = faith.get("verdict", "unknown")
        header = Text.assemble(
            ("faithfulness: ", "bold"), (verdict, "green" if verdict == "faithful" else "red"),
            "\n", excerpt(str(faith.get("reason", ""))), "\n", ("teacher ", "dim"), _teacher(provenance, meta),
            "  ", ("tones ", "dim"), ", ".join(present) or "none", f" ({len(present)} of {len(TONES)}{tones_note})")
        if len(present) < len(TONES):
            header.append("\nthe other tones: choose all five tones in Settings, then extract again (x)", style="dim")
        made: list[ListItem] = [ListItem(Static(header))]
        components = meta.get("components") or {}
        for slot, code in structure.components():
            status = components.get(slot, {})
            ok = status.get("ok")
            head = Text.assemble((slot, "bold"), "  ", ("valid" if ok else "invalid" if ok is False else "unchecked",
                                                        "green" if ok else "red" if ok is False else "dim"))
            if status.get("rounds"):
                head.append("  ")
                head.append(f"repaired in {status['rounds']} round(s)", style="yellow")
            lines = [head]
            by_tone = descriptions.get(slot) or {}
            for tone in sorted(by_tone, key=_tone_order):
                # "-": a description imported without a tone label.
                lines.append(Text.assemble((f"{'description' if tone == '-' else visible(tone)}: ", "dim"),
                                           excerpt(str(by_tone[tone]))))
            flag = (meta.get("description_flags") or {}).get(slot)
            if flag:
                lines.append(Text(visible(f"needs review: {flag}"), style="yellow"))
            lines.append(Panel(excerpt(code, more="e edits all of it"), border_style="green" if ok else "red"))
            if status.get("error_text"):
                lines.append(excerpt(str(status["error_text"]), "red"))
            made.append(ComponentItem(slot, Group(*lines)))
        self.structure = structure
        mounted = items.extend(made)
        if len(made) > 1:
            items.index = 1  # the first component, not the summary above it: e edits it at once
            # ListView scrolls to it once drawn, perhaps before the items below the summary have
            # their heights; scrolled again when they have them, it lands in the same place always.
            self.call_later(self._scroll_when_laid_out, mounted, items)

    async def _scroll_when_laid_out(self, mounted, items: ListView) -> None:
        await mounted
        items.call_after_refresh(self._scroll_to_highlighted, items)

    @staticmethod
    def _scroll_to_highlighted(items: ListView) -> None:
        # From the top when the summary and the component fit, else the component at the top: the
        # same place whatever ListView's earlier scroll did (which depends on where it was).
        child = items.highlighted_child
        if child is None:
            return
        if child.virtual_region.bottom <= items.scrollable_content_region.height:
            items.scroll_home(animate=False, immediate=True)
        else:
            items.scroll_to_widget(child, animate=False, top=True, immediate=True)

    def selected_slot(self) -> str | None:
        item = self.query_one("#component-list", ListView).highlighted_child
        return item.slot if isinstance(item, ComponentItem) else None


def _teacher(provenance: dict, meta: dict) -> str:
    teacher = str(provenance.get("teacher") or meta.get("teacher") or "unknown")
    return "external (another pipeline's structure.json, imported)" if teacher == "external" else teacher
