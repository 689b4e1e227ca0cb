"""The start-up table: every deck member, included or skipped with the reason."""

from __future__ import annotations

from ivorygrpc.deck.model import DeckSpec


def deck_report(deck: DeckSpec) -> str:
    """A plain-text table of what is served and what is not, and why."""
    rows: list[tuple[str, str, str, str]] = []
    for inst in deck.instruments:
        for op in inst.operations:
            status = "included"
            if op.notes:
                status += " (" + "; ".join(op.notes) + ")"
            rows.append((inst.name, op.python_name, f"{inst.service}/{op.rpc}", status))
    for skipped in deck.skipped:
        rows.append((skipped.instrument, skipped.member or "-", "-",
                     f"SKIPPED: {skipped.reason}"))
    header = ("instrument", "member", "rpc", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [f"deck {deck.name!r}: {len(deck.instruments)} instruments, "
             f"{sum(len(i.operations) for i in deck.instruments)} operations, "
             f"{len(deck.skipped)} skipped"]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                     + "  " + row[3])
    return "\n".join(lines)
