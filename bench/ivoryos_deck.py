"""Serve a deck file with IvoryOS (run with the IvoryOS venv's Python, see `bench/setup_ivoryos`).

    bench/.ivoryos-venv/bin/python bench/ivoryos_deck.py --port 8123 bench/deck_noop.py

The deck is imported under its file stem (IvoryOS names instruments `deck.<name>`), then
`ivoryos.run` serves it headless on loopback with `debug=False`, as in the baseline
(`/work/shared/reference/ivoryos-baseline.md`). IvoryOS keeps its data in
`./ivoryos_data`: start it in a fresh working folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("deck", type=Path)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    name = args.deck.stem
    spec = importlib.util.spec_from_file_location(name, args.deck.resolve())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)

    import ivoryos  # type: ignore[import-not-found,unused-ignore]

    ivoryos.run(module=name, host="127.0.0.1", port=args.port, debug=False)


if __name__ == "__main__":
    main()
