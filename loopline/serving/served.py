"""A loaded model version, compiled once for serving: its signature, checks, feature lookup and predictor.

``ServedModel.build`` does every per-model preparation up front (reading the signature
into a schema, compiling the record validator and the clean-record fast lane, planning the
feature lookup, choosing the predictor path) and ``warm_up`` predicts the package's sample input once, so the first
real request pays nothing extra and a model that cannot predict is found before it is
served. A ServedModel never changes after it is built; the slot that holds it is swapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopline.serving.errors import ServerConfigError
from loopline.serving.online_features import FeatureFiller, OnlineFeatureSpec
from loopline.serving.predictor import Predictor
from loopline.serving.row_reader import RowReader
from loopline.serving.signature import ServingSignature, read_signature
from loopline.validation import RecordValidator

if TYPE_CHECKING:
    from loopline.features import FeatureStore

PRIMARY = "primary"


@dataclass(frozen=True, eq=False)
class ServedModel:
    """One model version, ready to answer requests."""

    name: str
    version: int
    package: Any
    signature: ServingSignature
    validator: RecordValidator
    predictor: Predictor
    features: FeatureFiller | None = None
    served_as: str = PRIMARY
    reader: RowReader | None = None

    @classmethod
    def build(
        cls, name: str, version: int, package: Any, *, feature_store: FeatureStore | None = None,
        served_as: str = PRIMARY,
    ) -> ServedModel:
        """Compile ``package`` for serving; ServerConfigError when it lacks what the server needs."""
        label = f"{name}/{version}"
        signature = read_signature(getattr(package, "signature", None), model=label)
        spec = OnlineFeatureSpec.from_info(getattr(package, "info", None), model=label)
        filler = None
        if spec is not None:
            if feature_store is None:
                raise ServerConfigError(
                    f"model {label} looks its features up in the online store, but the server has no feature store",
                    hint="serve from the workspace whose [features] the model was trained with",
                )
            filler = FeatureFiller(spec, feature_store)
        predictor = Predictor.compile(package, signature)
        return cls(
            name=name, version=version, package=package, signature=signature,
            validator=RecordValidator(signature.schema, environment=None),
            predictor=predictor, features=filler, served_as=served_as,
            # a record carrying every feature needs no lookup (the filler passes it through unchanged),
            # so the clean-record lane holds with online features too; a record with keys takes the full path
            reader=RowReader.compile(signature.schema, predictor.columns),
        )

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def platform(self) -> str:
        model = getattr(self.package, "model", self.package)
        kind = type(model)
        return f"{kind.__module__.split('.')[0]}:{kind.__qualname__}"

    @property
    def lookup_keys(self) -> frozenset[str]:
        """Fields a request may carry besides the signature's inputs: the keys features are looked up by."""
        return frozenset(self.features.keys) if self.features is not None else frozenset()

    def warm_up(self) -> None:
        """Predict the sample input once (when the package has one), so failures show before serving."""
        sample = getattr(self.package, "sample_input", None)
        if sample is not None and len(sample) > 0:
            present = [c for c in self.predictor.columns if c in sample.columns]
            if len(present) == len(self.predictor.columns):
                self.predictor.predict(sample[present].head(1).to_dict("records"))


__all__ = ["PRIMARY", "ServedModel"]
