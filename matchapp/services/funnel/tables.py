"""The shape of a figure table: its columns, its rows (for each key one row for all, then one per target group, and
the totals at the foot) and what the small-number rule needs to know of it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from matchapp.labels import HEADING, labels
from matchapp.models import TargetGroup
from matchapp.services.funnel.shares import Share

GROUPS = (TargetGroup.JOB_READY, TargetGroup.ACTIVITY_READY)
GROUP_LABELS = {None: _l("All"), **labels(TargetGroup, HEADING)}


@dataclass(frozen=True)
class Column:
    """A column of a figure table. A count shows the row's count of that name; a share shows part out of whole
    (`shares.Share`). Some columns only apply to the rows for all target groups (e.g. sessions, which have no target
    group); text columns (the row's names) come first."""

    label: object
    kind: str = "count"  # text, count or share
    count: str = ""
    part: str = ""
    whole: str = ""
    all_only: bool = False
    on_page: bool = True  # False: only in the downloads, so that the page's table fits 1280 px (issue 15)

    def value(self, row: Row) -> int | Share | None:
        """The figure of a row in this column (not for text columns); None where it does not apply."""
        if self.all_only and row.group is not None:
            return None
        if self.kind == "share":
            if self.part not in row.counts or self.whole not in row.counts:
                return None
            return Share(row.counts[self.part], row.counts[self.whole])
        return row.counts.get(self.count)


@dataclass
class Row:
    """One row: its names (e.g. the course, then the target group), the target group (None: all) and its counts."""

    labels: list[str]
    group: TargetGroup | None
    counts: dict[str, int]
    total: bool = False  # one of the totals at the foot of the table


@dataclass
class Table:
    """One set of figures: a caption, its columns and rows. Rows come in threes for each key, all then one per target
    group, and the last three are the totals.

    For the small-number rule (`small_numbers`): `sums` lists counts of a row that add up to another count of it;
    `unsummed` names counts whose totals are not the sum of the rows above (a session aimed at two courses counts in
    both rows but once in the total); `things` names counts of things, not people."""

    key: str
    caption: object
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unsummed: frozenset[str] = frozenset()
    things: frozenset[str] = frozenset({"sessions", "slots"})
    keyed_by: str = "course"  # what the rows are of: the same figure in two tables is in rows of the same kind
    more: bool = False  # a page of the table's rows with more on the next page

    def page_columns(self) -> list[int]:
        """The positions of the columns the dashboard page shows; the downloads hold them all."""
        return [i for i, column in enumerate(self.columns) if column.on_page]

    def values(self, row: Row) -> list:
        """A row's cells: its names, then a figure (count, Share or None) per column."""
        return [*row.labels, *(column.value(row) for column in self.columns[len(row.labels):])]


def added(counts: Iterable[dict]) -> dict:
    """Counts added up name by name."""
    total: dict = {}
    for c in counts:
        for name, value in c.items():
            total[name] = total.get(name, 0) + (value or 0)
    return total


def split(counts: dict[tuple, dict], keys: list[tuple], names: Callable[[tuple | None], list[str]], *,
          totals: dict[TargetGroup, dict] | None = None, every_row: Callable[[tuple | None], dict] | None = None,
          zeros: Iterable[str] = ()) -> list[Row]:
    """For each key, a row for all (the groups' counts added up) and one per target group; then the totals: the
    keys' counts added up, except those given in `totals` (per group). `names` gives a key's names (None: the
    totals'); `every_row` gives counts without a target group (sessions, slots) for each row of a key (None: the
    totals); `zeros` names counts that are 0 where a key has none (others do not apply there)."""
    if not keys:
        return []
    zero = dict.fromkeys(zeros, 0)
    group_names = {group: str(label) for group, label in GROUP_LABELS.items()}  # translated once, not once per row
    rows = []
    summed = {g: added(counts.get((*key, g), {}) for key in keys) for g in GROUPS}
    for key in [*keys, None]:
        groups = {g: {**zero, **summed[g], **(totals or {}).get(g, {})} if key is None else
                  {**zero, **counts.get((*key, g), {})} for g in GROUPS}
        extra = every_row(key) if every_row else {}
        for group, c in ((None, added(groups.values())), *groups.items()):
            rows.append(Row([*names(key), group_names[group]], group, {**c, **extra}, key is None))
    return rows
