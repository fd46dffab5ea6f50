"""The blessing: every rule applied, with the numbers behind each verdict."""

from __future__ import annotations

import pytest
from evaluation_helpers import regression_evaluation

from loopline.errors import InvalidInputError
from loopline.evaluation import RuleError, bless, parse_rules

ABSOLUTE = [{"metric": "rmse", "max": 120}, {"metric": "r2", "min": 0.5}]
CHANGE = [{"metric": "rmse", "max_worsening": 0.02}]
SLICES = [{"metric": "rmse", "max_slice_worsening": 0.10}]


def test_absolute_rules_alone_without_a_baseline() -> None:
    good = bless(regression_evaluation(100), None, [*ABSOLUTE, *CHANGE, *SLICES], candidate_id=5)
    assert good.blessed and good.candidate == 5 and good.baseline is None
    assert [(c.rule, c.passed) for c in good.checks] == [
        ("rmse <= 120", True), ("r2 >= 0.5", True),
        ("rmse at most 2.0% worse than the baseline", None),
        ("rmse at most 10.0% worse than the baseline in every slice", None),
    ]
    assert good.summary == "blessed: 2 of 4 rules applied and passed (no baseline for the others)"
    bad = bless(regression_evaluation(130), None, ABSOLUTE, candidate_id=5)
    assert not bad.blessed
    failed = bad.failed[0]
    assert (failed.rule, failed.value, failed.limit) == ("rmse <= 120", 130, 120)
    assert "rmse <= 120 failed (rmse = 130)" in bad.summary


def test_change_against_the_baseline_respects_the_metric_direction() -> None:
    baseline = regression_evaluation(100)
    slightly = bless(regression_evaluation(101.5), baseline, CHANGE, candidate_id=2, baseline_id=1)
    assert slightly.blessed and slightly.checks[0].change == pytest.approx(0.015)
    too_much = bless(regression_evaluation(103), baseline, CHANGE, candidate_id=2, baseline_id=1,
                     baseline_ref="m/1 (production)")
    check = too_much.checks[0]
    assert not too_much.blessed and (check.value, check.baseline) == (103, 100)
    assert check.change == pytest.approx(0.03) and too_much.baseline_ref == "m/1 (production)"
    better = bless(regression_evaluation(80), baseline, CHANGE, candidate_id=2)
    assert better.blessed and better.checks[0].change == pytest.approx(-0.2)
    # r2 is better when higher: a drop is a worsening
    r2_rule = [{"metric": "r2", "max_worsening": 0.01}]
    assert not bless(regression_evaluation(110), baseline, r2_rule, candidate_id=2).blessed
    assert bless(regression_evaluation(90), baseline, r2_rule, candidate_id=2).blessed


def test_one_bad_slice_is_caught_though_the_whole_is_better() -> None:
    baseline = regression_evaluation(100, {"winter": 80, "summer": 120, "spring": 100})
    candidate = regression_evaluation(95, {"winter": 95, "summer": 100, "spring": 99})
    blessing = bless(candidate, baseline, [*CHANGE, *SLICES], candidate_id=2, baseline_id=1)
    change, sliced = blessing.checks
    assert change.passed is True and sliced.passed is False and not blessing.blessed
    worst = sliced.details[0]
    assert (worst["value"], worst["candidate"], worst["baseline"]) == ("winter", 95, 80)
    assert worst["change"] == pytest.approx(0.1875) and worst["passed"] is False
    assert [d["value"] for d in sliced.details] == ["winter", "spring", "summer"]  # worst first
    assert "3 slices compared, 1 worse than allowed" == sliced.note
    assert "in part=winter" in blessing.summary


def test_small_slices_are_left_out_of_the_slice_rule() -> None:
    baseline = regression_evaluation(100, {"rare": 10}, slice_rows=5)
    candidate = regression_evaluation(100, {"rare": 50}, slice_rows=5)
    blessing = bless(candidate, baseline, SLICES, candidate_id=2, min_slice_rows=30)
    assert blessing.blessed and blessing.checks[0].passed is None
    assert "no slice to compare; 1 slice(s) with fewer than 30 rows" in blessing.checks[0].note


def test_a_zero_baseline_fails_any_worsening_and_passes_equality() -> None:
    zero = regression_evaluation(0.0)
    assert not bless(regression_evaluation(0.1), zero, CHANGE, candidate_id=1).blessed
    same = bless(regression_evaluation(0.0), zero, CHANGE, candidate_id=1)
    assert same.blessed and same.checks[0].change is None and "baseline's value is 0" in same.checks[0].note


def test_no_rules_blesses_and_says_nothing_was_checked() -> None:
    blessing = bless(regression_evaluation(500), None, [], candidate_id=1)
    assert blessing.blessed and "nothing was checked" in blessing.summary


def test_a_metric_that_could_not_be_computed_fails_its_rule() -> None:
    blessing = bless(regression_evaluation(10), None, [{"metric": "mape", "max": 0.2}], candidate_id=1)
    assert not blessing.blessed and "could not be computed" in blessing.checks[0].note


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"metric": "rmse"}], "sets no limit"),
        ([{"metric": "rmse", "maximum": 3}], "rule 0 .* is not valid: maximum: Extra inputs are not permitted"),
        ([{"metric": "rsme", "max": 3}], "unknown metric 'rsme'"),
        ({"metric": "rmse", "max": 3}, "rules must be a list of tables"),
        ([{"metric": "accuracy", "min": 0.9}], "the rule on 'accuracy' does not apply to a regression model"),
    ],
)
def test_malformed_rules_are_refused(rules: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        bless(regression_evaluation(1), None, rules, candidate_id=1)  # type: ignore[arg-type]


def test_candidate_and_baseline_must_share_their_data() -> None:
    with pytest.raises(RuleError, match="evaluated on 100 rows .* and the baseline on 90 rows"):
        bless(regression_evaluation(1), regression_evaluation(1, rows=90), CHANGE, candidate_id=1)


def test_rules_accept_parsed_values_too() -> None:
    parsed = parse_rules(ABSOLUTE)
    assert bless(regression_evaluation(100), None, parsed, candidate_id=1).blessed
