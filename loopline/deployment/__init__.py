"""Model deployment: deployments that follow an alias, rollouts (replace, canary, shadow), promotion,
abort and rollback, the traffic split, and the pre-deployment check."""

from loopline.deployment.controller import DeploymentController, Outcome
from loopline.deployment.errors import DeploymentRefused, NoTrialRunning
from loopline.deployment.infra import InfraCheck, InfraValidator, StoreLocation
from loopline.deployment.records import (
    ABORTED,
    CANARY,
    LIVE,
    PROMOTED,
    REFUSED,
    REPLACE,
    SHADOW,
    STRATEGIES,
    Deployment,
    DeploymentState,
    Rollout,
    RoutingPlan,
)
from loopline.deployment.shadow import SHADOW_SUFFIX, ShadowComparison, compare_shadow, shadow_request_id
from loopline.deployment.split import TrafficSplit, bucket_of, check_percent

__all__ = [
    "ABORTED",
    "CANARY",
    "LIVE",
    "PROMOTED",
    "REFUSED",
    "REPLACE",
    "SHADOW",
    "SHADOW_SUFFIX",
    "STRATEGIES",
    "Deployment",
    "DeploymentController",
    "DeploymentRefused",
    "DeploymentState",
    "InfraCheck",
    "InfraValidator",
    "NoTrialRunning",
    "Outcome",
    "Rollout",
    "RoutingPlan",
    "ShadowComparison",
    "StoreLocation",
    "TrafficSplit",
    "bucket_of",
    "check_percent",
    "compare_shadow",
    "shadow_request_id",
]
