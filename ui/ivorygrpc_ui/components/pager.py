"""Previous / next buttons for lists paged with ``page_token`` (runs, workflows, campaigns).

The pager remembers the token of every page visited, so "previous" needs no token from the
server::

    pager = Pager("runs", load)          # buttons marked runs-previous / runs-next
    ...
    async def load():                    # fetch pager.token's page, then:
        pager.loaded(reply.next_page_token)

`restart()` goes back to the first page (after a filter changed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui


class Pager:
    """Page label and previous / next buttons over a token-paged list."""

    def __init__(self, marker: str, load: Callable[[], Awaitable[None]]) -> None:
        self._load = load
        self.tokens = [""]  # page tokens of the pages visited, first page first
        self.next_token = ""
        with ui.row().classes("items-center gap-2"):
            self.previous = ui.button(icon="chevron_left", on_click=self.back) \
                .props("flat round").mark(f"{marker}-previous")
            self.label = ui.label("")
            self.next = ui.button(icon="chevron_right", on_click=self.forward) \
                .props("flat round").mark(f"{marker}-next")

    @property
    def token(self) -> str:
        """The page token of the page to show."""
        return self.tokens[-1]

    async def restart(self) -> None:
        """Show the first page."""
        self.tokens = [""]
        await self._load()

    async def forward(self) -> None:
        if self.next_token:
            self.tokens.append(self.next_token)
            await self._load()

    async def back(self) -> None:
        if len(self.tokens) > 1:
            self.tokens.pop()
            await self._load()

    def loaded(self, next_token: str) -> None:
        """Record the next page's token of the page just shown and update the buttons."""
        self.next_token = next_token
        self.label.text = f"Page {len(self.tokens)}"
        self.previous.set_enabled(len(self.tokens) > 1)
        self.next.set_enabled(bool(next_token))
