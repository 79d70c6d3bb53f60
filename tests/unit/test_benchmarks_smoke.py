"""Smoke test of benchmarks/bench.py: every case runs once at a tiny size (not a timing test)."""

import pytest

from benchmarks import bench

TINY = 2_000
# Prime Day cut to its first three minutes (warmup is two): about 900 orders per architecture.
SHORT_PRIME_DAY = ("duration=3m", "drain=1m")


def test_every_case_but_memory_growth_gives_a_row_of_positive_numbers():
    cases = [c for c in bench.CASES if c not in bench.GROWTH_CASES]
    rows = bench.run_plan(bench.plan(cases, TINY, SHORT_PRIME_DAY))
    bench.add_ratios(rows)
    labels = [row["case"] for row in rows]
    assert labels == ["baseline", "call", "event", "call_interpreted", "event_interpreted",
                      "prime_day:request-response", "prime_day:event-driven", "prime_day:hybrid"]
    for row in rows:
        for column in bench.COLUMNS:
            if column != "case":
                assert row[column] > 0, (row["case"], column)
    assert rows[0]["visits"] == 3 * TINY
    # Every chain order makes its three visits: no timeout or fault cuts one short.
    assert all(row["visits"] == 3 * row["orders"] for row in rows[1:5])
    # The interpreted cases really ran the bare sources, on the same orders.
    by_case = {row["case"]: row for row in rows}
    for style in ("call", "event"):
        interpreted = by_case[f"{style}_interpreted"]
        assert interpreted["engine"] == "interpreted"
        assert (interpreted["orders"], interpreted["engine_events"]) == (
            by_case[style]["orders"], by_case[style]["engine_events"])
    table = bench.format_table(rows).splitlines()
    assert table[0].split() == list(bench.COLUMNS)
    assert [line.split()[0] for line in table[1:]] == labels


def test_memory_growth_pairs_the_n_and_10n_runs_of_a_case():
    rows = [{"case": "growth_event@N", "orders": 100, "peak_rss_mb": 100.0},
            {"case": "growth_event@10N", "orders": 1_124, "peak_rss_mb": 150.0}]
    (growth,) = bench.memory_growth(rows)
    assert growth["growth_ratio"] == pytest.approx(1.5)
    assert growth["kib_per_extra_order"] == pytest.approx(50.0)  # 50 MiB over 1,024 orders


def test_memory_growth_cases_run_the_spooling_pipeline():
    rows = bench.run_plan(bench.plan(["growth_event", "growth_run"], TINY))
    assert [row["case"] for row in rows] == ["growth_event@N", "growth_event@10N",
                                             "growth_run@N", "growth_run@10N"]
    assert all(row["visits"] == 3 * row["orders"] for row in rows)
    growth = bench.memory_growth(rows)
    assert [g["case"] for g in growth] == ["growth_event", "growth_run", "growth_run:worker"]


def test_best_of_keeps_each_cases_fastest_round():
    from benchmarks.bench import best_of
    rounds = [[{"case": "baseline", "cpu_s": 5.0}, {"case": "call", "cpu_s": 2.0}],
              [{"case": "baseline", "cpu_s": 4.0}, {"case": "call", "cpu_s": 3.0}]]
    best = best_of(rounds)
    assert [(r["case"], r["cpu_s"], r["runs"]) for r in best] == [("baseline", 4.0, 2),
                                                                 ("call", 2.0, 2)]
