"""Asking before a page with unsaved changes is left.

A page with a draft calls `protect(is_dirty)` once while it is built and `mark(dirty)`
whenever its dirty state may have changed. The frame's navigation (and log out) goes through
`leave(target)` / `may_leave()`, which ask in a dialog first when the page is dirty. Closing
or reloading the tab (or following a plain link) gets the browser's own question: a
``beforeunload`` handler looks for the ``data-unsaved`` attribute that `mark` sets on a
hidden element of the page.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import app, ui

from ivorygrpc_ui.components.dialogs import confirm

_DIRTY_KEY = "ivorygrpc_unsaved"
_FLAG_KEY = "ivorygrpc_unsaved_flag"
_BEFORE_UNLOAD = """<script>
window.addEventListener('beforeunload', (event) => {
  if (document.querySelector('[data-unsaved]')) { event.preventDefault(); event.returnValue = ''; }
});
</script>"""
QUESTION = "Leave this page? The unsaved changes are lost."


def protect(is_dirty: Callable[[], bool]) -> None:
    """Guard the current page: `is_dirty()` tells whether leaving loses something."""
    app.storage.client[_DIRTY_KEY] = is_dirty
    # the flag also hosts the question's dialog, which must not live in a menu that closes
    app.storage.client[_FLAG_KEY] = ui.element("div").classes("hidden").mark("unsaved-flag")
    ui.add_body_html(_BEFORE_UNLOAD)


def mark(dirty: bool) -> None:
    """Tell the browser whether closing the tab should ask first."""
    flag: ui.element | None = app.storage.client.get(_FLAG_KEY)
    if flag is None or ("data-unsaved" in flag.props) == dirty:
        return
    if dirty:
        flag.props("data-unsaved")
    else:
        flag.props(remove="data-unsaved")


async def may_leave() -> bool:
    """True when the page has nothing unsaved or the user agrees to lose it."""
    is_dirty = app.storage.client.get(_DIRTY_KEY)
    if is_dirty is None or not is_dirty():
        return True
    with app.storage.client[_FLAG_KEY]:
        agreed = await confirm(QUESTION, "Leave")
    if agreed:
        mark(False)  # the browser should not ask a second time
    return agreed


async def leave(target: str) -> None:
    """Go to `target`, asking first when the page has unsaved changes."""
    if await may_leave():
        ui.navigate.to(target)
