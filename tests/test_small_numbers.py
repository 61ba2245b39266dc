"""Shares (half up, Wilson's interval) and the small-number rule, on known values and on any table."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from matchapp.models import TargetGroup
from matchapp.services.funnel.shares import Share
from matchapp.services.funnel.small_numbers import Hidden, _sums, cell, hidden_cells
from matchapp.services.funnel.tables import Column, Row, Table
from matchapp.web.dashboard.exports import rows


def test_shares_round_half_up_as_people_do():
    assert Share(5, 16).percent == Decimal("31.3")  # 31.25
    assert Share(1, 8).percent == Decimal("12.5")
    assert Share(1, 3).percent == Decimal("33.3")
    assert Share(2, 3).percent == Decimal("66.7")
    assert Share(1, 400).percent == Decimal("0.3")  # 0.25
    assert Share(0, 0).percent is None


def test_the_interval_is_wilsons_as_published():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17, table II.
    assert Share(81, 263).interval == (Decimal("25.5"), Decimal("36.6"))  # 0.2553-0.3662
    assert Share(15, 148).interval == (Decimal("6.2"), Decimal("16.0"))  # 0.0624-0.1605 (0.160487)
    assert Share(0, 20).interval == (Decimal("0.0"), Decimal("16.1"))  # 0-0.1611
    assert Share(1, 29).interval == (Decimal("0.6"), Decimal("17.2"))  # 0.0061-0.1718
    assert Share(20, 20).interval[1] == Decimal("100.0")


def table_of(keys: list[tuple[int, int, int, int]]) -> Table:
    """A funnel-like table: per key and group, completed = recorded + not recorded, and full-time of recorded;
    keys given as (job-ready recorded, job-ready not recorded, activity-ready recorded, activity-ready not)."""
    rows = []
    groups = (TargetGroup.JOB_READY, TargetGroup.ACTIVITY_READY)

    def counts(recorded, not_recorded):
        return {"completed": recorded + not_recorded, "recorded": recorded, "not_recorded": not_recorded,
                "full_time": recorded // 2}

    per_key = [[counts(a, b), counts(c, d)] for a, b, c, d in keys]
    for i, (ready, active) in enumerate([*per_key, [
            {n: sum(k[0][n] for k in per_key) for n in per_key[0][0]},
            {n: sum(k[1][n] for k in per_key) for n in per_key[0][0]}]]):
        both = {n: ready[n] + active[n] for n in ready}
        total = i == len(per_key)
        rows += [Row([f"k{i}", "all"], None, both, total), Row([f"k{i}", "ready"], groups[0], ready, total),
                 Row([f"k{i}", "active"], groups[1], active, total)]
    return Table("t", "t", [Column("key", "text"), Column("group", "text"), Column("c", count="completed"),
                            Column("n", count="not_recorded"), Column("f", count="full_time"),
                            Column("s", "share", part="full_time", whole="recorded")], rows,
                 sums=(("completed", ("recorded", "not_recorded")),))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 12)] * 4), min_size=1, max_size=5), st.integers(2, 6))
def test_no_hidden_figure_can_be_worked_out_from_a_sum(keys, limit):
    table = table_of(keys)

    hidden = hidden_cells([table], limit)
    shown = rows(table, hidden, limit)

    for row in table.rows:
        for name, value in row.counts.items():
            if 0 < value < limit:
                assert cell(table, row, name) in hidden, "every small count is hidden"
            if value == 0:
                assert cell(table, row, name) not in hidden, "zero tells nothing and stays"
    for total, parts in _sums(table):
        assert sum(cell in hidden for cell in (total, *parts)) != 1, "one hidden figure in a sum is given away"
    for i, row in enumerate(table.rows):
        completed, not_recorded, full_time, *share = shown[i][2:]
        assert [completed, not_recorded, full_time] == [
            Hidden(limit) if cell(table, row, name) in hidden else row.counts[name]
            for name in ("completed", "not_recorded", "full_time")], "what is shown is the figure itself"
        if cell(table, row, "full_time") in hidden or cell(table, row, "recorded") in hidden:
            assert share[2:] == [None, None, None], "a share of a hidden count is hidden"
        elif row.counts["recorded"]:
            assert share[2] == Share(row.counts["full_time"], row.counts["recorded"]).percent


def test_the_rule_is_off_at_zero():
    table = table_of([(1, 2, 3, 4)])

    assert hidden_cells([table], 0) == set()
    assert all(not isinstance(value, Hidden) for row in rows(table, set(), 0) for value in row)


def test_a_figure_hidden_to_protect_one_table_is_hidden_in_every_table_that_shows_it():
    # Alone, the first table hides only the small counts; the second also shows that completed = recorded + not
    # recorded, so it hides one more figure of that sum, which the first table must not show either.
    keys = [(10, 2, 10, 7)]
    alone = table_of(keys)
    alone.sums = ()
    with_sums = table_of(keys)

    by_itself = hidden_cells([alone], 5)
    together = hidden_cells([alone, with_sums], 5)

    assert by_itself < together
    assert rows(alone, together, 5) != rows(alone, by_itself, 5), "the first table hides one more figure"
    assert rows(alone, together, 5) == rows(with_sums, together, 5), "both tables hide the same figures"
