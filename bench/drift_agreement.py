"""Do Loopline's drift values agree with Evidently's? Per column, with the tolerance each measure allows.

Where both compute the same quantity from the same raw values the tolerance is float
round-off (relative 1e-9). Where the definitions differ, the check says so and compares
what is comparable:

- Jensen-Shannon: both report the distance in base e (scipy's default), so the values must
  be equal.
- Chi-squared: Loopline tests the 2 x k table for homogeneity; Evidently runs scipy's
  goodness-of-fit test of the current counts against the reference shares, which treats
  the reference sample as exact. The check recomputes Evidently's goodness-of-fit p-value
  from the category counts in Loopline's report: equal means both counted the same values.
- Jensen-Shannon and PSI on numeric columns: Loopline bins over the reference's
  0.1%..99.9% range (20 bins plus one below and one above, so a stored profile gives the
  same bins); Evidently uses Sturges' rule over the range of both samples together. The
  values are shown side by side (Jensen-Shannon converted to base e); only the verdicts
  are compared.
- Against a stored reference profile, Kolmogorov-Smirnov and Wasserstein come from
  histograms (100 bins on the reference's grid): the Wasserstein distance must be within 2%
  (or 0.002), and the KS p-values are shown; the verdicts are compared.

The benchmark stops when a value is outside its tolerance, or when the values agree but
the verdicts differ. Where values are not comparable (different definitions, or histograms
against raw values), a verdict that differs near the threshold is reported, not failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXACT = 1e-9
BINNED_WASSERSTEIN = (0.02, 0.002)


@dataclass(frozen=True)
class ColumnCheck:
    column: str
    measure: str
    loopline: float
    evidently: float
    comparable: float | None  # Loopline's value converted to Evidently's definition, when one exists
    tolerance: str
    within: bool | None  # None: not comparable by value
    loopline_drift: bool
    evidently_drift: bool
    note: str = ""
    judged_on_comparable: bool = True  # False when Loopline's verdict rests on another value (chi-squared)

    @property
    def verdicts_agree(self) -> bool:
        return self.loopline_drift == self.evidently_drift


def compare(report, evidently_columns: dict, *, stored: bool) -> list[ColumnCheck]:
    """One check per column of a Loopline DriftReport against the peer's per-column results."""
    checks = []
    for col in report.columns:
        theirs = evidently_columns[col.column]
        value = col.p_value if col.measure in ("ks", "chisquare") else col.statistic
        checks.append(_check(col, float(value), theirs, stored=stored))
    return checks


def _check(col, value: float, theirs: dict, *, stored: bool) -> ColumnCheck:
    base = {"column": col.column, "measure": col.measure, "loopline": value, "evidently": theirs["value"],
            "loopline_drift": col.drifted, "evidently_drift": bool(theirs["drift"])}
    numeric = col.kind == "numeric"
    if col.measure == "chisquare":
        comparable = _goodness_of_fit_p(col)
        return ColumnCheck(**base, comparable=comparable, tolerance="GOF p from Loopline's counts, rel 1e-9",
                           within=_close(comparable, theirs["value"], EXACT, 1e-12),
                           note="homogeneity (Loopline) vs goodness of fit (Evidently)", judged_on_comparable=False)
    comparable = value
    if col.measure in ("psi", "jensenshannon") and numeric:
        return ColumnCheck(**base, comparable=comparable, tolerance="different bins: verdict only", within=None,
                           note="bins: reference 0.1-99.9% range (Loopline) vs Sturges over both (Evidently)")
    if stored and col.measure == "wasserstein":
        relative, absolute = BINNED_WASSERSTEIN
        return ColumnCheck(**base, comparable=comparable, tolerance="histogram: rel 2% or abs 0.002",
                           within=_close(comparable, theirs["value"], relative, absolute))
    if stored and col.measure == "ks":
        return ColumnCheck(**base, comparable=comparable, tolerance="histogram: verdict only", within=None)
    return ColumnCheck(**base, comparable=comparable, tolerance="rel 1e-9", within=_close(comparable, theirs["value"],
                       EXACT, 1e-12))


def _goodness_of_fit_p(col) -> float:
    """Evidently's chi-squared p-value (scipy.stats.chisquare, expected = reference shares x current size)."""
    from scipy import stats

    dist = col.distribution
    ref = np.rint(np.asarray(dist.reference) * col.reference_count)
    cur = np.rint(np.asarray(dist.current) * col.current_count)
    if ref.sum() != col.reference_count or cur.sum() != col.current_count:
        raise RuntimeError(f"{col.column}: the report's distribution does not hold every category")
    expected = ref * cur.sum() / ref.sum()
    if np.any((expected == 0) & (cur > 0)):
        return 0.0  # a category new in the current data: the statistic is infinite
    keep = expected > 0
    return float(stats.chisquare(cur[keep], expected[keep]).pvalue)


def _close(ours: float, theirs: float, relative: float, absolute: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=relative, abs_tol=absolute)


def failures(checks: list[ColumnCheck]) -> list[str]:
    """What makes the comparison fail: a value outside its tolerance, or a verdict that differs
    although the values agree (then the thresholds or the rule applying them differ)."""
    problems = []
    for check in checks:
        if check.within is False:
            problems.append(f"{check.column} ({check.measure}): Loopline {check.comparable!r} vs Evidently "
                            f"{check.evidently!r}, outside {check.tolerance}")
        if check.within and check.judged_on_comparable and not check.verdicts_agree:
            problems.append(f"{check.column} ({check.measure}): Loopline says drift={check.loopline_drift}, "
                            f"Evidently drift={check.evidently_drift}")
    return problems


def verdict_differences(checks: list[ColumnCheck]) -> list[str]:
    """Columns whose verdicts differ where the values are not comparable (different definitions,
    or histograms against raw values): reported, not failed."""
    return [check.column for check in checks
            if not check.verdicts_agree and (check.within is None or not check.judged_on_comparable)]


def largest_difference(checks: list[ColumnCheck]) -> str:
    """The largest absolute and relative differences among the value-comparable checks."""
    compared = [c for c in checks if c.within is not None and c.comparable is not None]
    if not compared:
        return "n/a"
    absolute = max(abs(c.comparable - c.evidently) for c in compared)
    relative = max(abs(c.comparable - c.evidently) / abs(c.evidently) for c in compared if c.evidently != 0)
    return f"absolute {absolute:.1e}, relative {relative:.1e}"
