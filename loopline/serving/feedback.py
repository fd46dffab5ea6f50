"""Reading ``POST /feedback`` bodies: the ground truth for predictions, by request id.

Three shapes are accepted: one prediction (``{"request_id": ..., "label": ...}``, with
``row_index`` for a record of a batch), every record of one batch request
(``{"request_id": ..., "labels": [...]}``, one label per record in order), or many
(``{"feedback": [{"request_id", "label", "row_index"?}, ...]}``).
"""

from __future__ import annotations

from typing import Any

from loopline.metadata.predictions import MAX_FEEDBACK_ITEMS, Feedback
from loopline.serving.errors import PayloadTooLarge, RequestRejected

_SHAPES = ('{"request_id": "...", "label": 12}, {"request_id": "...", "labels": [12, 7]} '
           'or {"feedback": [{"request_id": "...", "label": 12, "row_index": 0}, ...]}')


def decode_feedback(body: Any) -> list[Feedback]:
    """The feedback items of a body; RequestRejected listing every malformed one."""
    if not isinstance(body, dict):
        raise _rejected([f"the body must be a JSON object, got {type(body).__name__}"])
    if "feedback" in body:
        entries = body["feedback"]
        if not isinstance(entries, list) or not entries:
            raise _rejected(["'feedback' must be a non-empty list of {request_id, label, row_index?}"])
        if len(entries) > MAX_FEEDBACK_ITEMS:
            raise PayloadTooLarge(f"{len(entries)} feedback items in one request; at most {MAX_FEEDBACK_ITEMS}")
        problems: list[str] = []
        items = [item for i, entry in enumerate(entries) if (item := _item(entry, f"feedback[{i}]", problems))]
        if problems:
            raise _rejected(problems)
        return items
    if "labels" in body:
        labels, request_id = body["labels"], body.get("request_id")
        problems = [] if isinstance(request_id, str) and request_id else ["'request_id' must be a non-empty string"]
        if not isinstance(labels, list) or not labels:
            problems.append("'labels' must be a non-empty list, one label per record of the request")
        if problems:
            raise _rejected(problems)
        return [Feedback(request_id, label, i) for i, label in enumerate(labels)]
    problems = []
    item = _item(body, "the body", problems)
    if problems or item is None:
        raise _rejected(problems)
    return [item]


def _item(entry: Any, where: str, problems: list[str]) -> Feedback | None:
    if not isinstance(entry, dict):
        problems.append(f"{where} must be an object, got {type(entry).__name__}")
        return None
    request_id, row = entry.get("request_id"), entry.get("row_index", 0)
    found = len(problems)
    if not isinstance(request_id, str) or not request_id or len(request_id) > 64:
        problems.append(f"{where}: 'request_id' must be the X-Request-ID of a prediction, got {request_id!r}")
    if "label" not in entry:
        problems.append(f"{where}: 'label' (the true value) is missing")
    if isinstance(row, bool) or not isinstance(row, int) or row < 0:
        problems.append(f"{where}: 'row_index' must be an integer >= 0, got {row!r}")
    unknown = sorted(set(entry) - {"request_id", "label", "row_index"})
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    return Feedback(request_id, entry["label"], row) if len(problems) == found else None


def _rejected(problems: list[str]) -> RequestRejected:
    return RequestRejected(
        f"the feedback is malformed: {'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}",
        problems=[{"message": p} for p in problems], hint=f"send {_SHAPES}",
    )


__all__ = ["decode_feedback"]
