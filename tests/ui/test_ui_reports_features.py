"""Data reports, feature views and the loop (monitoring, alerts, what they triggered, alias moves) in the dashboard."""

from __future__ import annotations

import pytest

from tests.ui.conftest import XSS, client_for

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def viewer(secured_app, demo_workspace):
    return client_for(secured_app, demo_workspace.tokens["vic"])


# -- data reports --------------------------------------------------------------------------------


def test_profile_page_shows_each_column_with_a_histogram(viewer, demo_workspace):
    artifact = demo_workspace.reports["statistics"]
    page = viewer.get(f"/api/data/profile/{artifact}").json()
    assert page["note"] is None and page["rows"] == 400
    columns = {c["name"]: c for c in page["columns"]}
    assert columns["temp"]["kind"] == "numeric" and len(columns["temp"]["bars"]["counts"]) >= 5
    assert sum(columns[XSS]["bars"]["counts"]) == 400
    html = viewer.get(f"/data/profile/{artifact}").text
    assert html.count("<svg") >= 2 and ESCAPED in html and "<script>alert" not in html


def test_anomalies_page_lists_code_column_severity_expected_and_observed(viewer, demo_workspace):
    artifact = demo_workspace.reports["anomalies"]
    page = viewer.get(f"/api/data/anomalies/{artifact}").json()
    assert page["note"] is None and page["passed"] is False
    first = page["anomalies"][0]
    assert first["severity"].lower() == "error" and first["column"] == "temp" and first["code"]
    html = viewer.get(f"/data/anomalies/{artifact}").text
    assert 'id="anomalies"' in html and first["code"] in html


def test_a_pickled_drift_report_is_named_not_opened(viewer, demo_workspace):
    artifact = demo_workspace.reports["old_drift"]
    page = viewer.get(f"/api/data/drift/{artifact}").json()
    assert page["report"] is None and "stored in a format the dashboard does not open" in page["note"]
    assert "does not open" in viewer.get(f"/data/drift/{artifact}").text
    data = viewer.get("/data").text
    assert f'href="/data/profile/{demo_workspace.reports["statistics"]}"' in data


def test_a_report_of_another_type_points_to_its_page(viewer, demo_workspace):
    response = viewer.get(f"/api/data/drift/{demo_workspace.reports['statistics']}")
    assert response.status_code == 422
    assert response.json()["hint"] == f"open it at /data/profile/{demo_workspace.reports['statistics']}"


def test_drift_distributions_are_overlaid(viewer, demo_workspace):
    html = viewer.get(f"/data/drift/{demo_workspace.drift_artifact}").text
    assert 'fill-opacity="0.55"' in html and "overlaid" in html


# -- features ------------------------------------------------------------------------------------


def test_features_page_lists_views_versions_and_materialization(viewer):
    page = viewer.get("/api/features").json()
    assert page["latest_version"] == 2 and [v["version"] for v in page["versions"]] == [2, 1]
    views = {v["name"]: v for v in page["views"]}
    assert set(views) == {"weather_by_hour", "demand_history"}
    weather = views["weather_by_hour"]
    assert weather["changed_in"] == [1, 2] and weather["description"] == "hourly weather, as observed"
    assert weather["materializations"] == 2 and weather["last_materialization"]["end"].startswith("2011-03-01")
    assert views["demand_history"]["changed_in"] == [1] and views["demand_history"]["materializations"] == 1
    html = viewer.get("/features").text
    assert 'href="/features/views/weather_by_hour"' in html and "diff with v1" in html


def test_a_view_page_has_its_versions_and_materializations(viewer):
    page = viewer.get("/api/features/views/weather_by_hour").json()
    assert [(h["version"], h["action"]) for h in page["history"]] == [(2, "changed"), (1, "added")]
    assert any("description" in d for d in page["history"][0]["details"])
    assert [m["end"][:10] for m in page["materializations"]] == ["2011-03-01", "2011-02-01"]
    assert page["materializations"][0]["written"] >= 1
    missing = viewer.get("/api/features/views/weather_by_hours")
    assert missing.status_code == 404 and "weather_by_hour" in missing.json()["hint"]


def test_the_diff_between_two_versions(viewer):
    diff = viewer.get("/api/features/diff", params={"from": 1, "to": 2}).json()
    assert [(c["action"], c["name"]) for c in diff["changes"]] == [("changed", "weather_by_hour")]
    everything = viewer.get("/api/features/diff", params={"from": 0, "to": 2}).json()
    assert {c["action"] for c in everything["changes"]} == {"added"}
    bad = viewer.get("/api/features/diff", params={"from": 1, "to": 7})
    assert bad.status_code == 422 and "version 7 does not exist" in bad.json()["error"]
    assert "hourly weather, as observed" in viewer.get("/features/diff?from=1&to=2").text


# -- the loop ------------------------------------------------------------------------------------


def test_monitoring_has_series_per_model_and_feature(viewer):
    page = viewer.get("/api/monitoring").json()
    monitor = next(m for m in page["monitors"] if m["monitor"] == "bikes_daily")
    assert [v for _, v in monitor["series"]["drift.share"]] == [0.0, 0.5, 0.5]
    assert "performance.relative" in monitor["series"] and "version" in monitor["series"]
    temp = next(f for f in monitor["features"] if f["feature"] == "temp")
    assert temp["drifted_windows"] == 2 and [c["verdict"] for c in temp["cells"]] == ["no drift", "drift", "drift"]
    assert temp["cells"][0]["out_of_domain_share"] == 0.1
    html = viewer.get("/monitoring", params={"feature": "temp"}).text
    assert "temp: drift measure" in html and "performance relative to the reference" in html


def test_a_firing_leads_to_its_run_the_version_and_the_decisions(viewer, demo_workspace):
    page = viewer.get("/api/monitoring").json()
    firing = next(f for f in page["firings"] if f["firing"]["trigger"] == "retrain_on_alert")
    outcome = firing["outcome"]
    assert outcome["run_id"] == demo_workspace.second_run and outcome["status"] == "complete"
    assert outcome["versions"] == [f"bikes/{demo_workspace.v2}"]
    actions = [(d["action"], d["alias"]) for d in outcome["decisions"]]
    assert ("model.promote", "challenger") in actions and ("model.rollback", "challenger") in actions
    html = viewer.get("/monitoring").text
    assert f'href="/runs/{demo_workspace.second_run}"' in html and "rolled back" in html


def test_the_model_page_marks_automatic_moves_with_their_reasons(viewer, demo_workspace):
    page = viewer.get("/api/models/bikes").json()
    moves = {(h["alias"], h["action"], h["to_version"]): h for h in page["alias_history"]}
    rollback = moves[("challenger", "rollback", demo_workspace.v1)]
    assert rollback["automatic"] is True and rollback["reason"].startswith("automatic rollback")
    assert moves[("challenger", "promote", demo_workspace.v1)]["automatic"] is False
    promoted = next(d for d in page["decisions"] if d["reason"].startswith("continuous delivery"))
    assert promoted["automatic"] is True and promoted["run_id"] == demo_workspace.second_run
    html = viewer.get("/models/bikes").text
    assert "automatic rollback: version 2 did worse once live" in html and 'id="decisions"' in html
