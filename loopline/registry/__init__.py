"""The model registry: packages and safe loading, versions and aliases, governance, audit and model cards."""

from loopline.registry.audit import GENESIS_HASH, AuditLog, append_audit
from loopline.registry.card import ModelCard
from loopline.registry.errors import AuthenticationError, PermissionDenied, PolicyRefused, UntrustedModelError
from loopline.registry.identity import USER_ENV, current_user_name
from loopline.registry.package import ModelPackage, read_package
from loopline.registry.records import (
    AliasMove,
    ApiToken,
    Approval,
    AuditEvent,
    AuditVerification,
    Condition,
    Identity,
    ModelVersion,
    NewToken,
    PolicyCheck,
    RegisteredModel,
    User,
)
from loopline.registry.refs import ModelRef, parse_model_ref
from loopline.registry.registry import Registry
from loopline.registry.signature import signature_from_schema
from loopline.registry.tokens import Tokens
from loopline.registry.users import Users

__all__ = [
    "GENESIS_HASH",
    "USER_ENV",
    "AliasMove",
    "ApiToken",
    "Approval",
    "AuditEvent",
    "AuditLog",
    "AuditVerification",
    "AuthenticationError",
    "Condition",
    "Identity",
    "ModelCard",
    "ModelPackage",
    "ModelRef",
    "ModelVersion",
    "NewToken",
    "PermissionDenied",
    "PolicyCheck",
    "PolicyRefused",
    "RegisteredModel",
    "Registry",
    "Tokens",
    "UntrustedModelError",
    "User",
    "Users",
    "append_audit",
    "current_user_name",
    "parse_model_ref",
    "read_package",
    "signature_from_schema",
]
