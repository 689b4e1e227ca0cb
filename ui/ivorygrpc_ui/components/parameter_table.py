"""An editable table of run parameters: one row per sample, one column per `#parameter`.

Cells are text; the table is sent as CSV (`CsvRows`), so the server converts every cell
to the parameter's type and names the line of any problem. A CSV file fills the table
(an optional second line of type names, as in the template, is skipped). Empty cells are
refused before sending: with one column, an empty cell would make an empty CSV line.
Cells are marked `cell-<row>-<name>` (rows from 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from nicegui import ui


class ParameterTable:
    """Rows of parameter values, with add/remove buttons."""

    def __init__(self, columns: Sequence[tuple[str, str]],
                 template_types: Sequence[str] = ()) -> None:
        """:param columns: ``(name, type name)`` per parameter
        :param template_types: the CSV template's type line (skipped when a file has it)"""
        self.columns = list(columns)
        self.template_types = list(template_types)
        self.rows: list[list[str]] = [["" for _ in self.columns]]
        self.view = ui.refreshable(self._view)
        self.view()

    def _view(self) -> None:
        with ui.element("table").classes("w-full text-sm border-collapse"):
            with ui.element("tr").classes("text-left text-slate-500"):
                ui.element("th").classes("w-10 font-normal")
                for name, type_name in self.columns:
                    with ui.element("th").classes("font-medium px-1"):
                        ui.label(f"#{name}").classes("font-mono")
                        ui.label(type_name).classes("text-xs font-normal text-slate-400")
                ui.element("th").classes("w-10")
            for index, row in enumerate(self.rows):
                with ui.element("tr"):
                    with ui.element("td").classes("text-slate-400 text-xs"):
                        ui.label(str(index + 1))
                    for column, (name, _) in enumerate(self.columns):
                        with ui.element("td").classes("px-1"):
                            cell = ui.input(value=row[column]).props("dense outlined") \
                                .classes("w-full").mark(f"cell-{index + 1}-{name}")
                            cell.on_value_change(
                                lambda e, r=row, c=column: r.__setitem__(c, e.value or ""))
                    with ui.element("td"):
                        label = f"Remove row {index + 1}"
                        ui.button(icon="close", on_click=lambda i=index: self.remove(i)) \
                            .props(f'flat round dense size=sm aria-label="{label}"') \
                            .mark(f"remove-row-{index + 1}")
        ui.button("Add row", icon="add", on_click=self.add).props("flat dense no-caps") \
            .mark("add-row")

    def add(self) -> None:
        self.rows.append(list(self.rows[-1]) if self.rows else ["" for _ in self.columns])
        self.view.refresh()

    def remove(self, index: int) -> None:
        del self.rows[index]
        self.view.refresh()

    def fill(self, text: str) -> None:
        """Replace the rows with a CSV file's (columns by header name)."""
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            raise ValueError("the file is empty")
        header = [cell.strip() for cell in lines[0]]
        missing = [name for name, _ in self.columns if name not in header]
        if missing:
            raise ValueError(f"the file has no column for {', '.join(missing)}")
        body = lines[1:]
        types = dict(zip((name for name, _ in self.columns), self.template_types, strict=False))
        if body and [c.strip() for c in body[0]] == [types.get(h, "") for h in header]:
            body = body[1:]  # the template's type line
        self.rows = [[line[header.index(name)] if header.index(name) < len(line) else ""
                      for name, _ in self.columns] for line in body if any(c.strip() for c in line)]
        self.view.refresh()

    def blanks(self) -> list[str]:
        """``row N: #name`` for every empty cell (the server would skip an empty line)."""
        return [f"row {index + 1}: #{name} is empty" for index, row in enumerate(self.rows)
                for (name, _), cell in zip(self.columns, row, strict=True) if not cell.strip()]

    def to_csv(self) -> str:
        """The rows as CSV text with a header line."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([name for name, _ in self.columns])
        writer.writerows(self.rows)
        return out.getvalue()
