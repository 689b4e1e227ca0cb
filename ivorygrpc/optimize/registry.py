"""The installed optimizer adapters: Optuna always; Ax and BayBE only when importable.

An adapter that is not installed is not listed, and a campaign naming it is
refused with the installed names.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from ivorygrpc.errors import FieldViolation, InvalidArguments
from ivorygrpc.optimize.adapter import Adapter
from ivorygrpc.optimize.optuna_adapter import OptunaAdapter

DEFAULT = "optuna"


def _ax() -> Adapter:
    from ivorygrpc.optimize.ax_adapter import AxAdapter

    return AxAdapter()


def _baybe() -> Adapter:
    from ivorygrpc.optimize.baybe_adapter import BaybeAdapter

    return BaybeAdapter()


# name -> (the library that must be importable, factory); their libraries import lazily.
_OPTIONAL: dict[str, tuple[str, Callable[[], Adapter]]] = {"ax": ("ax", _ax),
                                                           "baybe": ("baybe", _baybe)}


class Registry:
    """The adapters of one server, the default first."""

    def __init__(self, adapters: list[Adapter]) -> None:
        self._adapters = {a.name: a for a in adapters}

    @classmethod
    def installed(cls) -> Registry:
        """Optuna plus every optional adapter whose library is importable."""
        adapters: list[Adapter] = [OptunaAdapter()]
        for module, factory in _OPTIONAL.values():
            if importlib.util.find_spec(module) is not None:
                adapters.append(factory())
        return cls(adapters)

    def names(self) -> list[str]:
        """The adapter names, the default first."""
        return list(self._adapters)

    def adapters(self) -> list[Adapter]:
        """The adapters, the default first."""
        return list(self._adapters.values())

    def get(self, name: str, field: str = "spec.optimizer") -> Adapter:
        """The adapter called `name` (the default for ""); InvalidArguments otherwise."""
        adapter = self._adapters.get(name or DEFAULT)
        if adapter is None:
            raise InvalidArguments([FieldViolation(
                field, f"unknown or not installed optimizer {name!r} (installed: "
                       f"{', '.join(self._adapters)})")])
        return adapter
