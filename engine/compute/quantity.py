"""Numbers with units, and arithmetic that refuses what does not make sense.

A :class:`Quantity` carries its value in base units (USD, not millions; a percentage as a
fraction), a *dimension* (``{"USD": 1}``, ``{"USD": 1, "share": -1}``, ``{}`` for ratios) and
whether it reads as a percentage. Adding dollars to a percentage, or two amounts of different
dimensions, raises :class:`UnitMismatch`; dividing dollars by dollars gives a plain ratio.

>>> usd = Quantity(1_577e6, {"USD": 1})
>>> (usd / Quantity(32_765e6, {"USD": 1})).dim
{}
>>> try:
...     usd + Quantity(0.21, {}, percent=True)
... except UnitMismatch as exc:
...     print(exc)
cannot add USD and %
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import KgqaError

_UNIT_DIMS = {
    "USD": {"USD": 1}, "USD/share": {"USD": 1, "share": -1}, "shares": {"share": 1}, "people": {"people": 1},
    "count": {"count": 1}, "days": {"day": 1}, "ms": {"ms": 1}, "score": {}, "x": {}, "%": {}, "": {},
}


class UnitMismatch(KgqaError):
    """Two inputs cannot be combined (different units, or a division by zero)."""


def dims_of(unit: str) -> dict[str, int]:
    """The dimension of a fact's unit (``"USD"`` -> ``{"USD": 1}``; unknown units count themselves)."""
    return dict(_UNIT_DIMS.get(unit, {unit: 1} if unit else {}))


def unit_name(dim: dict[str, int], percent: bool = False) -> str:
    """``{"USD": 1}`` -> ``"USD"``; ``{}`` -> ``"%"`` or ``""``."""
    if not dim:
        return "%" if percent else ""
    for name, d in _UNIT_DIMS.items():
        if d == dim and name not in ("score", "x", "%", ""):
            return name
    num = "*".join(k for k, v in dim.items() if v > 0)
    den = "*".join(k for k, v in dim.items() if v < 0)
    return f"{num or '1'}/{den}" if den else num


@dataclass(frozen=True)
class Quantity:
    """A value with its dimension; ``percent`` marks a fraction written as a percentage."""

    value: float
    dim: dict[str, int] = field(default_factory=dict)
    percent: bool = False

    @classmethod
    def of(cls, value: float, unit: str) -> Quantity:
        return cls(value, dims_of(unit), unit == "%")

    @property
    def unit(self) -> str:
        return unit_name(self.dim, self.percent)

    def _same(self, other: Quantity, op: str) -> None:
        if self.dim != other.dim:
            raise UnitMismatch(f"cannot {op} {self.unit or 'a ratio'} and {other.unit or 'a ratio'}")

    def __add__(self, other: Quantity) -> Quantity:
        self._same(other, "add")
        return Quantity(self.value + other.value, self.dim, self.percent and other.percent)

    def __sub__(self, other: Quantity) -> Quantity:
        self._same(other, "subtract")
        return Quantity(self.value - other.value, self.dim, self.percent and other.percent)

    def __mul__(self, other: Quantity) -> Quantity:
        dim = dict(self.dim)
        for k, v in other.dim.items():
            dim[k] = dim.get(k, 0) + v
        return Quantity(self.value * other.value, {k: v for k, v in dim.items() if v}, False)

    def __truediv__(self, other: Quantity) -> Quantity:
        if other.value == 0:
            raise UnitMismatch("division by zero")
        dim = dict(self.dim)
        for k, v in other.dim.items():
            dim[k] = dim.get(k, 0) - v
        return Quantity(self.value / other.value, {k: v for k, v in dim.items() if v}, False)
