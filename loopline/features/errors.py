"""The feature store's errors: each names the view, feature or column involved and says what to do."""

from __future__ import annotations

from loopline.errors import InvalidInputError, LooplineError, NotFoundError


class FeatureDefinitionError(InvalidInputError):
    """Feature definitions are inconsistent (unknown columns, type conflicts, duplicates, ...).

    ``problems`` lists every problem found, one sentence each.
    """

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        count = len(problems)
        header = (
            "the feature definitions have 1 problem" if count == 1 else f"the feature definitions have {count} problems"
        )
        super().__init__(header + ":\n  - " + "\n  - ".join(problems), hint=hint)
        self.problems = list(problems)


class UnknownFeatureError(NotFoundError):
    """A feature reference names a view or feature that is not defined."""


class RetrievalError(InvalidInputError):
    """The entity frame or entity rows do not fit the requested features (missing keys, bad types, ...)."""


class SourceError(InvalidInputError):
    """A feature view's source cannot be read or its transformation failed."""


class OnlineStoreError(LooplineError):
    """The online store cannot be opened, read or written."""


__all__ = [
    "FeatureDefinitionError",
    "OnlineStoreError",
    "RetrievalError",
    "SourceError",
    "UnknownFeatureError",
]
