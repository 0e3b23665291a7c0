"""Textual's footer, rebuilt only when the keys it shows change.

Textual's own rebuilds every key widget each time the bindings may have changed (every focus
change, every `refresh_bindings`), several times in one frame: at launch that was three rebuilds
of the same keys, about 40 ms of styling key widgets that looked the same."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _pending = False
    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._pending:
            return
        self._pending = True
        self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._pending = False
        shown = self._keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys(self) -> tuple:
        """What `compose` shows: each binding shown, whether it is enabled, its tooltip."""
        return tuple((binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
                     if binding.show or binding.action == "command_palette")
