"""Shares as the dashboard and its exports show them: always with their denominator and a 95 % interval, and
rounded half up (31.25 % is 31.3 %, as people round), computed exactly from the two counts.

The interval is Wilson's score interval (Wilson 1927; recommended over the plain "p ± 1.96·SE" by Newcombe 1998
and Brown, Cai & DasGupta 2001 because it stays within 0-100 % and is honest for small counts). Python has no
statistics library for it short of SciPy or statsmodels, which would be large dependencies for one formula.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)  # 1.959964…


def half_up(value: float, places: int) -> Decimal:
    """A number rounded half up to the given number of decimals (a float as the exact binary value it holds)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """part out of whole, e.g. 2 of the 23 completers in full-time work."""

    part: int
    whole: int

    @cached_property
    def percent(self) -> Decimal | None:
        """The share in per cent, one decimal, half up; None when there is nothing to divide by."""
        if not self.whole:
            return None
        tenths = (2000 * self.part + self.whole) // (2 * self.whole)  # exactly: 1000·part/whole, half up
        return Decimal(tenths).scaleb(-1)

    @cached_property
    def interval(self) -> tuple[Decimal, Decimal] | None:
        """Wilson's 95 % interval in per cent, one decimal, half up; None when there is nothing to divide by."""
        if not self.whole:
            return None
        n, p, z2 = self.whole, self.part / self.whole, Z95 * Z95
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        spread = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        return (half_up(max(0.0, centre - spread) * 100, 1), half_up(min(1.0, centre + spread) * 100, 1))

    def __add__(self, other: Share) -> Share:
        return Share(self.part + other.part, self.whole + other.whole)
