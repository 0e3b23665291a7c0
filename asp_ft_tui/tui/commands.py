"""Command palette entries for the app's actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS = (
    ("Extract the selected benchmark", "extract", "Run the teacher chosen in settings on it"),
    ("Extract all benchmarks", "extract_all", "Run the teacher on every benchmark not extracted yet"),
    ("Cancel the running work", "cancel_work", "Stop after the benchmarks in flight"),
    ("Switch teacher", "cycle_teacher", "structural, gemini or mlx"),
    ("Settings", "settings", "Teacher, models, tones, repair rounds, concurrency of this workspace"),
    ("Export the dataset", "export", "Approved samples (optionally pending too) to data/exports/"),
    ("Approve every valid sample of this benchmark", "bulk_approve", "Asks first"),
    ("Undo the last decision", "undo", ""),
    ("Next pending sample", "next_pending", ""),
    ("Rescan the benchmark folders", "rescan", ""),
    ("Show the log", "tab('log')", ""),
    ("Show the review queue", "tab('review')", ""),
)


class AspFtCommands(Provider):
    async def discover(self) -> Hits:
        for title, action, help_text in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)
