"""The small-number rule for figures that leave the job centre: a count of people from 1 to below the limit
(`MATCHAPP_SMALL_NUMBER_LIMIT`, 5 unless set; 0 turns the rule off) is shown as "<5", and a share is hidden when
its part or its whole is.

Hiding a small count is not enough when the table also shows what it adds up to: the "all" row is the sum of the
two target groups, the totals are the sums of the rows above, and some counts of a row add up to another (e.g.
completed = recorded + not recorded). In any such sum, one hidden figure could be worked out from the others, so
wherever exactly one figure of a sum is hidden, the smallest other non-zero figure of it is hidden too (the parts
before the total), until no sum has exactly one. Tables downloaded from one filter are protected together: the
same figure (e.g. a course's completers in the funnel and in the 60-day outcome, or the totals of bookings in
several tables) is hidden in all of them or in none. Zero is shown: it tells nothing about anyone. Counts of
things (sessions, slots) are never hidden.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matchapp.services.funnel.tables import GROUP_LABELS, Row, Table

Cell = tuple[str, tuple[str, ...], str]  # what the rows are of, a row's names and the name of one of its counts


@dataclass(frozen=True)
class Hidden:
    """A figure withheld by the rule, shown as "<5"."""

    limit: int

    def __str__(self) -> str:
        return f"<{self.limit}"


def cell(table: Table, row: Row, name: str) -> Cell:
    """A count of a row, named so that the same figure in two tables is one cell: the funnel and the 60-day outcome
    share their rows of course and target group, and every table's totals share the rows "Total"."""
    return "total" if row.total else table.keyed_by, tuple(label for label in row.labels if label), name


def _names(table: Table) -> set[str]:
    """The counts of people the table shows, directly or in a share, or adds up."""
    names = {name for column in table.columns for name in (column.count, column.part, column.whole) if name}
    names |= {name for total, parts in table.sums for name in (total, *parts)}
    return names - table.things


def _sums(table: Table) -> list[tuple[Cell, list[Cell]]]:
    """Every sum the table shows, as (total, parts)."""
    names, rows = _names(table), table.rows
    size = len(GROUP_LABELS)
    blocks = range(0, len(rows) - size, size)  # each key's rows; the last block is the totals
    foot = len(rows) - size
    sums = [(cell(table, row, total), [cell(table, row, part) for part in parts])
            for row in rows for total, parts in table.sums]
    for name in names:
        sums += [(cell(table, rows[b], name), [cell(table, rows[b + g], name) for g in range(1, size)])
                 for b in [*blocks, foot]]
        if name not in table.unsummed:
            sums += [(cell(table, rows[foot + g], name), [cell(table, rows[b + g], name) for b in blocks])
                     for g in range(size)]
    return sums


def _values(tables: list[Table]) -> dict[Cell, int]:
    """Every count of people the tables show or add up, by cell: a figure in two tables is one cell."""
    return {cell(table, row, name): row.counts.get(name) or 0 for table in tables for row in table.rows
            for name in _names(table)}


def _small(values: dict[Cell, int], limit: int) -> set[Cell]:
    """The counts from 1 to below the limit."""
    return {c for c, value in values.items() if 0 < value < limit}


def _given_away(total: Cell, parts: list[Cell], hidden: set[Cell]) -> bool:
    """Whether exactly one figure of a sum is hidden, so that the others would give it away."""
    return sum(c in hidden for c in (total, *parts)) == 1


def _next_to_hide(total: Cell, parts: list[Cell], hidden: set[Cell], values: dict[Cell, int]) -> Cell | None:
    """The figure to hide beside the one hidden in a sum: its smallest other non-zero part, else its total; None
    when all others are zero (which tells nothing)."""
    others = [c for c in parts if c not in hidden and values[c] > 0] or \
             [c for c in (total,) if c not in hidden and values[c] > 0]
    return min(others, key=values.__getitem__) if others else None


def _protect(hidden: set[Cell], sums: list[tuple[Cell, list[Cell]]], values: dict[Cell, int]) -> set[Cell]:
    """The hidden figures with those that no sum may give away, added until no sum has exactly one hidden."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            more = _next_to_hide(total, parts, hidden, values) if _given_away(total, parts, hidden) else None
            if more is not None:
                hidden.add(more)
                changed = True
    return hidden


def hidden_cells(tables: Iterable[Table], limit: int) -> set[Cell]:
    """The counts the rule withholds in tables shown together: the small ones, and those needed so that no sum of
    any of the tables gives them away (a figure hidden in one table is hidden in all)."""
    tables = [table for table in tables if table.rows]
    if limit <= 1 or not tables:
        return set()
    values = _values(tables)
    return _protect(_small(values, limit), [s for table in tables for s in _sums(table)], values)
