"""The dashboard over HTTP (FastAPI's TestClient): pages, JSON API, escaping, login, CSRF, roles and policy."""

from __future__ import annotations

import pytest

from tests.ui.conftest import XSS, client_for, csrf_of

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def admin(secured_app, demo_workspace):
    return client_for(secured_app, demo_workspace.tokens["ada"])


@pytest.fixture(scope="module")
def approver(secured_app, demo_workspace):
    return client_for(secured_app, demo_workspace.tokens["ann"])


@pytest.fixture(scope="module")
def viewer(secured_app, demo_workspace):
    return client_for(secured_app, demo_workspace.tokens["vic"])


def test_every_main_page_renders(admin, demo_workspace):
    d = demo_workspace
    for path in ("/", "/runs", f"/runs/{d.first_run}", f"/runs/compare?ids={d.first_run}&ids={d.xss_run}",
                 "/pipelines", "/pipelines/training", f"/lineage/run/{d.first_run}", "/lineage/model/bikes@production",
                 "/artifacts", f"/artifacts/{d.drift_artifact}", "/models", "/models/bikes",
                 f"/models/bikes/versions/{d.v2}", "/data", f"/data/drift/{d.drift_artifact}", "/monitoring",
                 "/features", "/features/views/demand_history", "/features/diff?from=0&to=1",
                 f"/data/profile/{d.reports['statistics']}", f"/data/anomalies/{d.reports['anomalies']}",
                 "/deployments", "/audit"):
        response = admin.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "Content-Security-Policy" in response.headers


def test_names_that_are_html_show_as_text(admin, demo_workspace):
    d = demo_workspace
    for path in ("/runs", f"/runs/{d.xss_run}", f"/artifacts/{d.xss_artifact}", f"/lineage/run/{d.xss_run}",
                 "/models/html-described", "/models", "/pipelines/" + XSS.replace("/", "%2F")):
        response = admin.get(path)
        assert response.status_code in (200, 404), path
        assert "<script>alert" not in response.text, path
    assert ESCAPED in admin.get(f"/runs/{d.xss_run}").text
    assert ESCAPED in admin.get("/models").text
    assert admin.get(f"/api/runs/{d.xss_run}").json()["run"]["pipeline"] == XSS


def test_pipeline_graph_marks_cached_steps_of_the_last_run(admin):
    graph = admin.get("/api/pipelines/training").json()
    states = {s["name"]: s for s in graph["steps"]}
    assert states["prepare"]["cached"] and states["prepare"]["state"] == "cached"
    assert states["train"]["state"] == "complete" and not states["train"]["cached"]
    page = admin.get("/pipelines/training").text
    assert "cached (reused)" in page and "<svg" in page


def test_run_page_has_params_metrics_logs_and_lineage_link(admin, demo_workspace):
    run = admin.get(f"/api/runs/{demo_workspace.xss_run}").json()
    assert run["params"] == {"note": XSS}
    step = run["steps"][0]
    assert step["metrics"] == {"share": 0.4} and "drift" in step["outputs"]
    assert [s["key"] for s in run["series"]] == ["share"]
    page = admin.get(f"/runs/{demo_workspace.xss_run}").text
    assert f'href="/lineage/run/{demo_workspace.xss_run}"' in page and "log line " + ESCAPED in page


def test_runs_list_pages_by_keyset_and_filters(admin, demo_workspace):
    first = admin.get("/api/runs", params={"limit": 2}).json()
    assert len(first["runs"]) == 2 and first["next_before"] == first["runs"][-1]["id"]
    rest = admin.get("/api/runs", params={"limit": 2, "before": first["next_before"]}).json()
    assert all(r["id"] < first["next_before"] for r in rest["runs"])
    only = admin.get("/api/runs", params={"name": "script"}).json()["runs"]
    assert [r["id"] for r in only] == [demo_workspace.xss_run]
    assert admin.get("/api/runs", params={"pipeline": "training", "status": "failed"}).json()["runs"] == []
    bad = admin.get("/api/runs", params={"status": "nope"})
    assert bad.status_code == 422 and "unknown run status" in bad.json()["error"]


def test_lineage_links_every_node(admin, demo_workspace):
    page = admin.get(f"/api/lineage/model/bikes/{demo_workspace.v1}", params={"direction": "up"}).json()
    kinds = {n["kind"] for n in page["nodes"]}
    assert kinds == {"artifact", "execution"}
    assert any(f"bikes/{demo_workspace.v1}" in n["model_versions"] for n in page["nodes"])
    html = admin.get(f"/lineage/model/bikes/{demo_workspace.v1}").text
    assert html.count('<a href="/lineage/artifact/') >= 3


def test_drift_report_page(admin, demo_workspace):
    report = admin.get(f"/api/data/drift/{demo_workspace.drift_artifact}").json()["report"]
    assert report["dataset_drift"] is True and "temp" in report["drifted_columns"]
    assert admin.get(f"/data/drift/{demo_workspace.first_run}").status_code in (404, 422)


def test_pages_need_a_token_when_tokens_are_required(secured_app):
    anonymous = client_for(secured_app)
    page = anonymous.get("/runs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fruns")
    api = anonymous.get("/api/runs")
    assert api.status_code == 401 and "needs an API token" in api.json()["error"]
    login = anonymous.get("/login")
    wrong = anonymous.post("/login", data={"token": "ll_not-a-token", "csrf_token": csrf_of(login.text)})
    assert wrong.status_code == 401 and "not known" in wrong.text


def test_bearer_header_reads_the_api(secured_app, demo_workspace):
    client = client_for(secured_app)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {demo_workspace.tokens['vic']}"})
    assert response.json() == {"name": "vic", "role": "viewer", "open_mode": False, "tokens_required": True}


def _approvals(ws, version):
    return ws.registry.approvals("bikes", version)


def test_a_post_without_the_right_csrf_token_changes_nothing(approver, ui_workspace, demo_workspace):
    before = len(_approvals(ui_workspace, demo_workspace.v2))
    url = f"/models/bikes/versions/{demo_workspace.v2}/approve"
    for data in ({"comment": "no token"}, {"comment": "wrong", "csrf_token": "x" * 43}):
        response = approver.post(url, data=data)
        assert response.status_code == 403 and "CSRF token" in response.text
    page = approver.get(f"/models/bikes/versions/{demo_workspace.v2}").text
    foreign = approver.post(url, data={"csrf_token": csrf_of(page)}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "another site" in foreign.text
    assert len(_approvals(ui_workspace, demo_workspace.v2)) == before


def test_a_viewer_promotion_is_refused_with_the_policy_reasons(viewer, ui_workspace, demo_workspace):
    page = viewer.get(f"/models/bikes/versions/{demo_workspace.v2}").text
    response = viewer.post(f"/models/bikes/versions/{demo_workspace.v2}/promote",
                           data={"alias": "staging", "comment": "try", "csrf_token": csrf_of(page)})
    assert response.status_code == 403
    assert "refuses bikes/" in response.text and "may not promote to" in response.text
    assert ui_workspace.registry.get_model("bikes").aliases["staging"] == demo_workspace.v1
    refusal = ui_workspace.registry.audit.list(action="policy.refuse", actor="vic")
    assert refusal and refusal[0].target == "model:bikes@staging"
    approve = viewer.post(f"/models/bikes/versions/{demo_workspace.v2}/approve", data={"csrf_token": csrf_of(page)})
    assert approve.status_code == 403 and "needs the role approver" in approve.text


def test_an_approver_approves_through_the_form(approver, ui_workspace, demo_workspace):
    page = approver.get(f"/models/bikes/versions/{demo_workspace.v2}").text
    response = approver.post(f"/models/bikes/versions/{demo_workspace.v2}/approve",
                             data={"alias": "", "comment": "looks right", "csrf_token": csrf_of(page)},
                             follow_redirects=False)
    assert response.status_code == 303 and "done=approved" in response.headers["location"]
    latest = _approvals(ui_workspace, demo_workspace.v2)[-1]
    assert (latest.decided_by, latest.decision, latest.comment) == ("ann", "approved", "looks right")


def test_the_api_acts_with_a_bearer_token_and_refuses_a_viewer(secured_app, demo_workspace):
    client = client_for(secured_app)
    url = f"/api/models/bikes/versions/{demo_workspace.v2}/approve"
    ok = client.post(url, json={"comment": "via api"},
                     headers={"Authorization": f"Bearer {demo_workspace.tokens['ann']}"})
    assert ok.status_code == 200 and ok.json()["done"]["decided_by"] == "ann"
    refused = client.post(f"/api/models/bikes/versions/{demo_workspace.v2}/promote", json={"alias": "staging"},
                          headers={"Authorization": f"Bearer {demo_workspace.tokens['vic']}"})
    assert refused.status_code == 403
    assert any(u.startswith("role:") for u in refused.json()["unmet"])


def test_audit_page_verifies_the_chain_and_filters(admin):
    page = admin.get("/api/audit", params={"action": "user."}).json()
    assert page["verification"]["ok"] is True and page["verification"]["checked"] >= 3
    assert {e["action"] for e in page["events"]} == {"user.add"}
    assert "Hash chain verified" in admin.get("/audit").text


def test_the_openapi_schema_documents_the_json_api(admin):
    paths = admin.get("/api/openapi.json").json()["paths"]
    for path in ("/api/runs", "/api/runs/{run_id}", "/api/lineage/{kind}/{ident}", "/api/models/{name}/versions/{version}",
                 "/api/audit", "/api/pipelines", "/api/data/drift/{artifact_id}", "/api/deployments", "/api/monitoring",
                 "/api/data/profile/{artifact_id}", "/api/data/anomalies/{artifact_id}", "/api/features",
                 "/api/features/views/{name}", "/api/features/diff"):
        assert path in paths, path
    assert not any(p.startswith("/runs") for p in paths)


def test_a_public_address_needs_tokens(tmp_path):
    from loopline.examples import write_workspace
    from loopline.serving.errors import ServerConfigError
    from loopline.ui.server import UiConfig, build_app

    root = write_workspace(tmp_path / "ws", example="default", force=True)
    with pytest.raises(ServerConfigError, match="without API tokens"):
        UiConfig(workspace=str(root), host="0.0.0.0", require_tokens=False).needs_tokens
    with pytest.raises(ServerConfigError, match="has no active one"):
        build_app(UiConfig(workspace=str(root), host="0.0.0.0"))
    assert UiConfig(workspace=str(root)).needs_tokens is False


def test_layered_layout_orders_a_diamond():
    from loopline.ui.graph import GraphEdge, GraphNode, layers, render_svg

    nodes = [GraphNode(k, k) for k in "abcd"]
    edges = [GraphEdge("a", "b"), GraphEdge("a", "c"), GraphEdge("b", "d"), GraphEdge("c", "d")]
    assert layers(nodes, edges) == [["a"], ["b", "c"], ["d"]]
    svg = render_svg([GraphNode("x", XSS, href="/x?a=1&b=2")], [])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a=1&amp;b=2" in svg
