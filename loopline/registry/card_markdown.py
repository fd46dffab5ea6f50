"""Model cards as Markdown (and as HTML, from the same Markdown): sections after Mitchell et al.'s
"Model Cards for Model Reporting", filled from a ``ModelCard``."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from loopline.registry.card import ModelCard

_SCOPING_LABELS = (
    ("problem", "Problem"),
    ("business_metric", "Business metric"),
    ("baseline", "Baseline"),
    ("success_threshold", "Success threshold"),
)


def card_markdown(card: ModelCard) -> str:
    version = card.version
    parts = [f"# Model card: {version.name} version {version.version}", ""]
    if version.aliases:
        parts += [f"Serving as: {', '.join(f'`{a}`' for a in version.aliases)}", ""]
    if version.description:
        parts += [_text(version.description), ""]
    for title, body in (
        ("Model details", _details(card)),
        ("Intended use", _intended_use(card)),
        ("Training data and lineage", _training_data(card)),
        ("Signature", _signature(card)),
        ("Metrics", _metrics(card)),
        ("Blessing", _blessing(card)),
        ("Approvals", _approvals(card)),
        ("Alias history", _history(card)),
        ("Known limitations", _limitations(card)),
    ):
        parts += [f"## {title}", "", body.rstrip(), ""]
    return "\n".join(parts).rstrip() + "\n"


def card_html(card: ModelCard) -> str:
    """A standalone HTML page of the card (Markdown rendered by markdown-it, raw HTML disabled)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(card_markdown(card))
    title = html.escape(f"Model card: {card.version.name} version {card.version.version}")
    style = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
             "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;"
             "text-align:left}th{background:#f4f4f4}code{background:#f4f4f4;padding:0 .2rem}")
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{style}</style></head><body>\n{body}</body></html>\n")


def _details(card: ModelCard) -> str:
    v, a, package = card.version, card.model_artifact, card.package
    info = package.get("info") or {}
    rows: list[tuple[str, Any]] = [
        ("Name / version", f"{v.name} / {v.version} ({v.status})"),
        ("Registered", f"{_when(v.created_at)} by {v.created_by}"),
        ("Model class", package.get("model_class")),
        ("Model artifact", f"artifact/{a.id}, sha256:{a.digest}"),
        ("Recorded by", card.provenance),
    ]
    if card.run:
        run = card.run
        rows.append(("Training run", f"run {run['run_id']} of pipeline '{run['pipeline']}' "
                                     f"(step '{run['step']}', {run['status']}, {_when(run['started_at'])})"))
    code = info.get("code_version") or info.get("code")
    if isinstance(code, dict):
        rows.append(("Code version", f"{code.get('commit') or 'unknown'}{' (dirty)' if code.get('dirty') else ''}"))
    for key, label in (("params", "Parameters"), ("packages", "Package versions"), ("package_versions",
                                                                                     "Package versions")):
        if isinstance(info.get(key), dict) and info[key]:
            rows.append((label, ", ".join(f"{k}={val}" for k, val in sorted(info[key].items()))))
    if package.get("python"):
        rows.append(("Python", package["python"]))
    return _table(("", ""), rows)


def _intended_use(card: ModelCard) -> str:
    scoping = card.scoping
    lines = []
    if scoping.get("intended_use"):
        lines += [_text(scoping["intended_use"]), ""]
    if scoping.get("out_of_scope"):
        lines += [f"**Out of scope:** {_text(scoping['out_of_scope'])}", ""]
    rows = [(label, scoping.get(key)) for key, label in _SCOPING_LABELS if scoping.get(key) not in (None, "")]
    if rows:
        lines += ["Scoping:", "", _table(("", ""), rows)]
    if not lines:
        return "_Not stated: add a `[scoping]` section (intended_use, business_metric, baseline, success_threshold) " \
               "to loopline.toml._"
    return "\n".join(lines)


def _training_data(card: ModelCard) -> str:
    info = card.package.get("info") or {}
    lines = []
    features = info.get("features")
    if isinstance(features, list) and features:
        lines += [f"Features ({len(features)}): {', '.join(f'`{f}`' for f in features)}", ""]
    data_hash = info.get("training_data_hash") or info.get("data_hash")
    if data_hash:
        lines += [f"Training data hash: `{data_hash}`", ""]
    if card.training_data:
        rows = [(f"artifact/{d['id']}", d["type"], d["name"], d.get("rows"), f"`{d['digest'][:16]}`",
                 _when(d.get("created_at"))) for d in card.training_data]
        lines.append(_table(("artifact", "type", "name", "rows", "digest", "recorded"), rows))
    elif not lines:
        lines.append("_No data is recorded upstream of this model._")
    return "\n".join(lines)


def _signature(card: ModelCard) -> str:
    signature = card.package.get("signature") or {}
    inputs, outputs = signature.get("inputs") or [], signature.get("outputs") or []
    if not inputs and not outputs:
        return "_No signature recorded._"
    rows = [("input", i.get("name"), i.get("type"), _yes(i.get("required", True)), _domain(i)) for i in inputs]
    rows += [("output", o.get("name"), o.get("type"), "", _domain(o)) for o in outputs]
    return _table(("", "name", "type", "required", "range / values"), rows)


def _metrics(card: ModelCard) -> str:
    evaluation = card.evaluation
    if evaluation is None:
        return "_No evaluation recorded._"
    lines = []
    where = f"artifact/{evaluation['artifact_id']}"
    if evaluation.get("rows") is not None:
        where += f", {evaluation['rows']} rows"
    if evaluation.get("target"):
        where += f", target `{evaluation['target']}`"
    lines += [f"Evaluation ({where}):", ""]
    metrics = evaluation.get("metrics") or {}
    lines.append(_table(("metric", "value"), [(k, _number(v)) for k, v in sorted(metrics.items())]))
    slices = evaluation.get("slices") or []
    if isinstance(slices, list) and slices:
        names = sorted({k for s in slices if isinstance(s, dict) for k in (s.get("metrics") or {})})
        rows = [(s.get("column"), s.get("value"), s.get("rows"), *(_number((s.get("metrics") or {}).get(n))
                                                                   for n in names))
                for s in slices if isinstance(s, dict)]
        lines += ["", "By slice:", "", _table(("slice", "value", "rows", *names), rows)]
    return "\n".join(lines)


def _blessing(card: ModelCard) -> str:
    blessing = card.blessing
    if blessing is None:
        return "_Not validated: no Blessing names this model as its candidate._"
    verdict = "**Blessed**" if blessing.get("blessed") is True else "**Not blessed**"
    baseline = blessing.get("baseline_ref") or (f"artifact/{blessing['baseline']}" if blessing.get("baseline")
                                                else "none (first model)")
    lines = [f"{verdict} (artifact/{blessing['artifact_id']}); baseline: {baseline}.", ""]
    if blessing.get("summary"):
        lines += [_text(blessing["summary"]), ""]
    checks = blessing.get("checks") or []
    if isinstance(checks, list) and checks:
        rows = [(c.get("rule"), _verdict(c.get("passed")), _number(c.get("value")), _number(c.get("baseline")),
                 _number(c.get("limit")), c.get("note") or "") for c in checks if isinstance(c, dict)]
        lines.append(_table(("rule", "verdict", "value", "baseline", "limit", "note"), rows))
    return "\n".join(lines)


def _approvals(card: ModelCard) -> str:
    if not card.approvals:
        return "_None recorded._"
    rows = [(a.decision, a.decided_by, a.role, a.alias or "any", _when(a.decided_at), a.comment)
            for a in card.approvals]
    return _table(("decision", "by", "role", "alias", "when", "comment"), rows)


def _history(card: ModelCard) -> str:
    if not card.alias_history:
        return "_This version has never been behind an alias._"
    rows = [(m.alias, m.action, m.from_version, m.to_version, m.moved_by, _when(m.moved_at), m.reason)
            for m in card.alias_history]
    return _table(("alias", "action", "from", "to", "by", "when", "reason"), rows)


def _limitations(card: ModelCard) -> str:
    return "\n".join(f"- {_text(item)}" for item in card.limitations) or "_None recorded._"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _text(value: Any) -> str:
    return str(value).replace("\r", "").strip()


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _verdict(passed: Any) -> str:
    return {True: "passed", False: "FAILED", None: "not applicable"}.get(passed, str(passed))


def _domain(item: dict[str, Any]) -> str:
    if item.get("domain"):
        values = [str(v) for v in item["domain"]]
        return ", ".join(values[:12]) + (f", ... ({len(values)} values)" if len(values) > 12 else "")
    if item.get("min") is not None or item.get("max") is not None:
        return f"{_number(item.get('min'))} .. {_number(item.get('max'))}"
    return ""


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


__all__ = ["card_html", "card_markdown"]
