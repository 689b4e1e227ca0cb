"""The campaign deck for UI tests: `campaign_deck_served(serve_deck)` serves
`tests/decks/campaign_deck.py` with two saved workflows, ``bowl`` (parameters #x and #y,
output ``f``, minimum 0 at x = 1, y = -2) and ``schaffer`` (#x, outputs ``a`` and ``b``, a
Pareto front for 0 <= x <= 2). A test module uses it by overriding ``ui_server``::

    @pytest.fixture
    async def ui_server(serve_deck: ServeDeck) -> Served:
        return await campaign_deck_served(serve_deck)
"""

from __future__ import annotations

from tests.fixtures.campaigns import CAMPAIGN_DECK, bench
from tests.fixtures.runs import par, save_workflow
from tests.fixtures.server import Served, ServeDeck


async def campaign_deck_served(serve_deck: ServeDeck) -> Served:
    """The campaign deck served on a free port, with the ``bowl`` and ``schaffer`` workflows."""
    served = await serve_deck(CAMPAIGN_DECK)
    await save_workflow(served.channel, "bowl", [bench("bowl", ["f"], x=par("x"), y=par("y"))])
    await save_workflow(served.channel, "schaffer", [bench("schaffer", ["a", "b"], x=par("x"))])
    return served
