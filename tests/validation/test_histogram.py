"""Bin grids and histograms: the same bins in SQL and numpy, exact merges, total-keeping re-binning."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from loopline.validation import BinGrid, Histogram
from loopline.validation.histogram import aligned


def test_integer_grid_centres_bins_on_integers() -> None:
    grid = BinGrid.covering(0, 23, integer=True, bins=100)
    assert (grid.origin, grid.width, grid.bins) == (-0.5, 1.0, 24)
    wide = BinGrid.covering(1, 977, integer=True, bins=100)
    assert wide.width == 10.0 and wide.origin + wide.bins * wide.width >= 977


def test_sql_and_numpy_put_values_in_the_same_bins() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=2000), [-1e9, 1e9, 0.0]])
    grid = BinGrid.covering(-2.0, 2.0, integer=False, bins=50)
    expected = Histogram.from_values(grid, values)
    con = duckdb.connect()
    con.register("t", {"x": values})
    counts = con.execute(f"SELECT histogram({grid.sql_index('x')}) FROM t").fetchone()[0]
    got = Histogram.from_mapping(grid, counts, float(values.min()), float(values.max()))
    assert got == expected
    assert min(got.index) == grid.lowest and max(got.index) == grid.highest  # outliers clamped


def test_merge_on_the_same_grid_is_exact() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=500), rng.normal(1, 1, size=700)
    grid = BinGrid.covering(-3, 3, integer=False, bins=40)
    merged = Histogram.from_values(grid, a).merge(Histogram.from_values(grid, b))
    assert merged == Histogram.from_values(grid, np.concatenate([a, b]))


def test_rebinning_keeps_the_total_and_roughly_the_shape() -> None:
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 10, 10_000)
    fine = Histogram.from_values(BinGrid.covering(0, 10, integer=False, bins=100), values)
    coarse_grid = BinGrid.covering(-1, 11, integer=False, bins=12)
    rebinned = fine.rebin(coarse_grid)
    direct = Histogram.from_values(coarse_grid, values)
    assert rebinned.total == fine.total == 10_000
    assert np.allclose(rebinned.count, direct.count, atol=120)


def test_quantiles_within_one_bin_width() -> None:
    rng = np.random.default_rng(6)
    values = rng.gamma(2.0, 3.0, 50_000)
    grid = BinGrid.covering(*np.quantile(values, [0.001, 0.999]), integer=False, bins=100)
    got = Histogram.from_values(grid, values).quantiles([0.01, 0.25, 0.5, 0.75, 0.99])
    want = np.quantile(values, [0.01, 0.25, 0.5, 0.75, 0.99])
    assert np.all(np.abs(np.array(got) - want) <= grid.width)


def test_coarse_groups_bins_and_keeps_outside_values() -> None:
    grid = BinGrid.covering(0, 100, integer=False, bins=100)
    hist = Histogram.from_values(grid, np.array([-5.0, 1.0, 50.0, 99.0, 250.0]))
    edges, counts = hist.coarse(20)
    assert len(edges) == len(counts) + 1 == 23
    assert counts[0] == 1 and counts[-1] == 1 and counts.sum() == 5
    assert edges[0] == -5.0 and edges[-1] == 250.0


def test_aligned_rebins_the_second_onto_the_first_grid() -> None:
    a = Histogram.from_values(BinGrid.covering(0, 1, integer=False, bins=10), np.linspace(0, 1, 101))
    b = Histogram.from_values(BinGrid.covering(0, 2, integer=False, bins=7), np.linspace(0.5, 1.5, 50))
    edges, ca, cb = aligned(a, b)
    assert ca.sum() == 101 and cb.sum() == pytest.approx(50)
    assert edges[0] == 0.0 and edges[-1] == 1.5 and np.all(np.diff(edges) > 0)


def test_round_trip_through_a_dict() -> None:
    hist = Histogram.from_values(BinGrid.covering(0, 1, integer=False, bins=10), np.array([0.1, 0.2, 0.2, 5.0]))
    assert Histogram.from_dict(hist.to_dict()) == hist
