"""Model validation: does the candidate pass the rules, alone and against the baseline? (TFX's blessing)

Rules (``loopline.config.BlessingRule``, written under ``[evaluation] rules``):

- ``{ metric = "rmse", max = 120 }``, ``{ metric = "r2", min = 0.7 }``: absolute limits on
  the candidate's value;
- ``{ metric = "rmse", max_worsening = 0.02 }``: the candidate may be at most 2% worse
  than the baseline (worse means higher for a loss, lower for a score);
- ``{ metric = "rmse", max_slice_worsening = 0.10 }``: and in no slice (with at least
  ``min_slice_rows`` rows in both evaluations) worse by more than 10%.

Candidate and baseline must have been evaluated on the same rows with the same slices.
Without a baseline only the absolute limits apply; the others are listed as not
applicable. The candidate is blessed when every applicable rule passed (no rules at all:
blessed, and the summary says nothing was checked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from loopline.config import BlessingRule
from loopline.evaluation.errors import RuleError
from loopline.evaluation.metrics import CLASSIFICATION, REGRESSION, better
from loopline.evaluation.records import Blessing, Evaluation, RuleCheck

DEFAULT_MIN_SLICE_ROWS = 30


def parse_rules(rules: Sequence[Mapping[str, Any] | BlessingRule] | None) -> list[BlessingRule]:
    """The rules, each checked, with known metric names."""
    if rules is None:
        return []
    if isinstance(rules, str | bytes | Mapping) or not isinstance(rules, Sequence):
        raise RuleError(
            f"rules must be a list of tables, got {rules!r}",
            hint='write rules = [{ metric = "rmse", max = 120 }, { metric = "rmse", max_worsening = 0.02 }]',
        )
    parsed = []
    for index, item in enumerate(rules):
        try:
            rule = item if isinstance(item, BlessingRule) else BlessingRule.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg']}" for e in exc.errors())
            raise RuleError(
                f"rule {index} ({item!r}) is not valid: {problems}",
                hint="a rule is { metric, min, max, max_worsening, max_slice_worsening } with at least one limit",
            ) from None
        better(rule.metric)  # an unknown metric is an error here, not a silent failure later
        parsed.append(rule)
    return parsed


def bless(
    candidate: Evaluation,
    baseline: Evaluation | None,
    rules: Sequence[Mapping[str, Any] | BlessingRule] | None,
    *,
    candidate_id: int | None,
    baseline_id: int | None = None,
    baseline_ref: str | None = None,
    min_slice_rows: int = DEFAULT_MIN_SLICE_ROWS,
) -> Blessing:
    """Apply every rule to ``candidate`` (and ``baseline`` when there is one); list each verdict."""
    parsed = parse_rules(rules)
    _check_comparable(candidate, baseline, parsed)
    checks: list[RuleCheck] = []
    for rule in parsed:
        if rule.min is not None:
            checks.append(_absolute(rule.metric, candidate, rule.min, at_least=True))
        if rule.max is not None:
            checks.append(_absolute(rule.metric, candidate, rule.max, at_least=False))
        if rule.max_worsening is not None:
            checks.append(_change(rule.metric, candidate, baseline, rule.max_worsening))
        if rule.max_slice_worsening is not None:
            checks.append(_slice_change(rule.metric, candidate, baseline, rule.max_slice_worsening, min_slice_rows))
    failed = [c for c in checks if c.passed is False]
    applied = [c for c in checks if c.passed is not None]
    if not checks:
        summary = "blessed: no rules are configured, so nothing was checked"
    elif failed:
        summary = "not blessed: " + "; ".join(f"{c.rule} failed ({_shown(c)})" for c in failed)
    else:
        summary = f"blessed: {len(applied)} of {len(checks)} rules applied and passed"
        if len(applied) < len(checks):
            summary += " (no baseline for the others)" if baseline is None else " (the others had nothing to compare)"
    return Blessing(
        blessed=not failed, candidate=candidate_id, checks=tuple(checks), candidate_metrics=dict(candidate.metrics),
        baseline=baseline_id, baseline_ref=baseline_ref, summary=summary,
    )


def _check_comparable(candidate: Evaluation, baseline: Evaluation | None, rules: list[BlessingRule]) -> None:
    known = REGRESSION if candidate.task == "regression" else CLASSIFICATION
    for rule in rules:
        if rule.metric not in known:
            raise RuleError(
                f"the rule on '{rule.metric}' does not apply to a {candidate.task} model",
                hint=f"{candidate.task} metrics: {', '.join(known)}",
            )
    if baseline is not None and (baseline.rows != candidate.rows or baseline.target != candidate.target):
        raise RuleError(
            f"the candidate was evaluated on {candidate.rows} rows of '{candidate.target}' and the baseline on "
            f"{baseline.rows} rows of '{baseline.target}'; a comparison needs the same data",
            hint="evaluate both models on the same frame",
        )


def _absolute(metric: str, candidate: Evaluation, limit: float, *, at_least: bool) -> RuleCheck:
    text = f"{metric} {'>=' if at_least else '<='} {limit:g}"
    value = candidate.metrics.get(metric)
    if value is None:
        return RuleCheck(text, "absolute", metric, limit, False, note=f"{metric} could not be computed on this data")
    passed = value >= limit if at_least else value <= limit
    return RuleCheck(text, "absolute", metric, limit, passed, value=value)


def _change(metric: str, candidate: Evaluation, baseline: Evaluation | None, limit: float) -> RuleCheck:
    text = f"{metric} at most {limit:.1%} worse than the baseline"
    value = candidate.metrics.get(metric)
    if baseline is None:
        return RuleCheck(text, "change", metric, limit, None, value=value, note="no baseline: not applicable")
    base = baseline.metrics.get(metric)
    if value is None or base is None:
        return RuleCheck(text, "change", metric, limit, False, value=value, baseline=base,
                         note=f"{metric} could not be computed for both models")
    change, note = worsening(metric, value, base)
    passed = change <= limit if change is not None else not _is_worse(metric, value, base)
    return RuleCheck(text, "change", metric, limit, passed, value=value, baseline=base, change=change, note=note)


def _slice_change(
    metric: str, candidate: Evaluation, baseline: Evaluation | None, limit: float, min_rows: int
) -> RuleCheck:
    text = f"{metric} at most {limit:.1%} worse than the baseline in every slice"
    if baseline is None:
        return RuleCheck(text, "slice_change", metric, limit, None, note="no baseline: not applicable")
    details: list[dict[str, Any]] = []
    small = 0
    for piece in candidate.slices:
        other = baseline.slice(piece.column, piece.value)
        if piece.rows < min_rows or other is None or other.rows < min_rows:
            small += 1
            continue
        value, base = piece.metrics.get(metric), other.metrics.get(metric)
        if value is None or base is None:
            small += 1
            continue
        change, _ = worsening(metric, value, base)
        worse = change is None and _is_worse(metric, value, base)
        passed = not worse and (change is None or change <= limit)
        details.append({"column": piece.column, "value": piece.value, "rows": piece.rows, "candidate": value,
                        "baseline": base, "change": change, "passed": passed})
    skipped = f"; {small} slice(s) with fewer than {min_rows} rows or no value were left out" if small else ""
    if not details:
        return RuleCheck(text, "slice_change", metric, limit, None, note=f"no slice to compare{skipped}")
    details.sort(key=_severity)
    worst = details[0]
    bad = [d for d in details if not d["passed"]]
    note = f"{len(details)} slices compared, {len(bad)} worse than allowed{skipped}"
    return RuleCheck(text, "slice_change", metric, limit, not bad, value=worst["candidate"], baseline=worst["baseline"],
                     change=worst["change"], note=note, details=tuple(details))


def _severity(detail: dict[str, Any]) -> float:
    """Sort key: failed slices whose baseline is 0 first, then by worsening, largest first."""
    if detail["change"] is None:
        return -float("inf") if not detail["passed"] else float("inf")
    return -float(detail["change"])


def worsening(metric: str, value: float, base: float) -> tuple[float | None, str]:
    """How much worse ``value`` is than ``base``, as a fraction of ``|base|`` (negative: better).

    None when the baseline is 0 (any worsening is infinitely many times it), with a note.
    """
    diff = value - base if better(metric) == "lower" else base - value
    if base == 0:
        return None, "the baseline's value is 0, so any worsening fails"
    return diff / abs(base), ""


def _is_worse(metric: str, value: float, base: float) -> bool:
    return value > base if better(metric) == "lower" else value < base


def _shown(check: RuleCheck) -> str:
    if check.kind == "absolute":
        return check.note or f"{check.metric} = {check.value:.4g}"
    if check.change is None:
        return check.note
    where = ""
    if check.kind == "slice_change" and check.details:
        worst = check.details[0]
        where = f" in {worst['column']}={worst['value']}"
    return f"{check.change:+.1%}{where}: {check.value:.4g} vs {check.baseline:.4g}"


__all__ = ["DEFAULT_MIN_SLICE_ROWS", "bless", "parse_rules", "worsening"]
