"""The model registry: named models, numbered versions, aliases that move under policy, approvals.

``Registry(metadata, artifacts).open()`` shares the metadata store's database (through a
connection pool of its own, see ``database.py``) and the artifact store. Every change is
one transaction that also appends its audit event, so a change and its record commit
together or not at all, and a process killed half-way leaves the state before or after.

A promotion reads the alias's state, checks the policy, then moves the alias only if it
still points where it did (compare-and-set on the alias's revision): of two processes
promoting to the same alias at the same moment, one wins and the other gets
ConflictError with nothing changed. A refusal by policy is recorded in the audit log too,
and raised as PolicyRefused listing every unmet condition.

``user`` arguments name who acts; None means the current user (``LOOPLINE_USER`` or the
operating-system user). The server passes the user its API token authenticated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from loopline.config import AliasPolicy, ScopingSection
from loopline.errors import ConfigError, ConflictError, InvalidInputError, NotFoundError, did_you_mean
from loopline.metadata.artifacts import insert_artifacts, load_artifacts
from loopline.metadata.engine import Database
from loopline.metadata.errors import StoreNotOpen
from loopline.metadata.records import Artifact, ArtifactType
from loopline.registry import aliases as alias_sql
from loopline.registry import models as model_sql
from loopline.registry.approvals import APPROVED, REJECTED, decisions, record_decision
from loopline.registry.audit import AuditLog, append_audit
from loopline.registry.database import open_registry_database
from loopline.registry.errors import PermissionDenied, PolicyRefused
from loopline.registry.identity import check_user_name, current_user_name, identify, require_role
from loopline.registry.loading import IMPORT_ACTION, check_provenance, load_package, stage_import
from loopline.registry.package import ModelPackage
from loopline.registry.policy import DEFAULT_POLICY, check_policy
from loopline.registry.records import AliasMove, Approval, Identity, ModelVersion, PolicyCheck, RegisteredModel
from loopline.registry.refs import ModelRef, check_alias, check_name, check_version, parse_model_ref
from loopline.registry.tokens import Tokens
from loopline.registry.users import Users

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore
    from loopline.registry.card import ModelCard

T = TypeVar("T")
MAX_TEXT = 10_000


class Registry:
    """Models, versions, aliases, approvals, users, tokens and the audit log of one metadata database."""

    def __init__(
        self,
        metadata: MetadataStore,
        artifacts: ArtifactStore,
        *,
        policies: Mapping[str, AliasPolicy] | None = None,
        scoping: ScopingSection | None = None,
    ) -> None:
        self.metadata = metadata
        self.artifacts = artifacts
        self.policies = dict(policies or {})
        self.scoping = scoping or ScopingSection()
        self._db: Database | None = None

    def open(self) -> Registry:
        """Connect (the schema is brought up to date like the metadata store's) and return the registry."""
        if self._db is None:
            for alias in self.policies:
                try:
                    check_alias(alias)
                except InvalidInputError as exc:
                    raise ConfigError(f"[registry.policies.{alias}] in loopline.toml: {exc.message}",
                                      hint=exc.hint) from None
            self._db = open_registry_database(self.metadata.url)
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Registry:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> Database:
        if self._db is None:
            raise StoreNotOpen("the model registry is not open", hint="call Registry(...).open() first")
        return self._db

    @property
    def users(self) -> Users:
        return Users(self.db)

    @property
    def tokens(self) -> Tokens:
        return Tokens(self.db)

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.db)

    def authenticate(self, token: str) -> Identity:
        """The user and role an API token stands for (AuthenticationError if unknown, revoked or expired)."""
        return self.tokens.authenticate(token)

    def identity(self, user: str | None = None) -> Identity:
        """Who ``user`` (default: the current user) acts as, and with which role."""
        return self.users.identity(_actor(user))

    # -- reading ------------------------------------------------------------------------------

    def models(self) -> list[RegisteredModel]:
        return self.db.read(model_sql.list_models)

    def get_model(self, name: str) -> RegisteredModel:
        check_name(name)
        return self.db.read(lambda conn: model_sql.load_model(conn, name))

    def versions(self, name: str, *, limit: int = 100) -> list[ModelVersion]:
        """The model's versions, newest first."""
        check_name(name)
        return self.db.read(lambda conn: model_sql.list_versions(conn, model_sql.load_model(conn, name), limit=limit))

    def get_version(self, name: str, version: int) -> ModelVersion:
        check_name(name)
        check_version(version)
        return self.db.read(lambda conn: model_sql.load_version(conn, model_sql.load_model(conn, name), version))

    def resolve(self, ref: str | ModelRef) -> ModelVersion:
        """The version ``bikes@production``, ``bikes/3`` or ``bikes`` (its newest active version) names."""
        parsed = ref if isinstance(ref, ModelRef) else parse_model_ref(ref)
        return self.db.read(lambda conn: _resolve(conn, parsed))

    def aliases(self, name: str) -> dict[str, int]:
        return self.get_model(name).aliases

    def alias_history(self, name: str, alias: str | None = None, *, limit: int = 1000) -> list[AliasMove]:
        """Every move of the model's aliases (or of one), newest first."""
        check_name(name)
        if alias is not None:
            check_alias(alias)
        return self.db.read(lambda conn: alias_sql.history(conn, model_sql.load_model(conn, name), alias, limit=limit))

    def approvals(self, name: str, version: int) -> list[Approval]:
        """Every approval and rejection of the version, oldest first."""
        return self.db.read(lambda conn: decisions(conn, _version(conn, name, version)[1]))

    def model_artifact(self, ref: str | ModelRef) -> Artifact:
        """The Model artifact behind a reference, once its provenance is checked."""
        parsed = ref if isinstance(ref, ModelRef) else parse_model_ref(ref)

        def work(conn: Connection) -> Artifact:
            version = _resolve(conn, parsed)
            artifact = load_artifacts(conn, [version.artifact_id])[version.artifact_id]
            check_provenance(conn, artifact)
            return artifact

        return self.db.read(work)

    def load(self, ref: str | ModelRef) -> ModelPackage:
        """The package behind ``ref``, loaded only if Loopline recorded it and its bytes are unchanged."""
        return load_package(self.artifacts, self.model_artifact(ref))

    def check(self, name: str, version: int, alias: str, *, user: str | None = None) -> PolicyCheck:
        """What a promotion of ``name/version`` to ``alias`` by ``user`` would meet and miss (changes nothing)."""
        check_alias(alias)
        actor = _actor(user)

        def work(conn: Connection) -> PolicyCheck:
            model, found = _version(conn, name, version)
            return check_policy(conn, self.policies, identify(conn, actor), model, found, alias)

        return self.db.read(work)

    def card(self, ref: str | ModelRef) -> ModelCard:
        """The model card of the version ``ref`` names, built from what the stores recorded."""
        from loopline.registry.card import build_card

        return build_card(self, ref)

    # -- changing -----------------------------------------------------------------------------

    def register(self, name: str, model_artifact_id: int, *, description: str = "",
                 user: str | None = None) -> ModelVersion:
        """Register the Model artifact as the next version of ``name`` (created if new)."""
        check_name(name)
        _check_text(description, "description")
        actor = _actor(user)

        def work(conn: Connection) -> ModelVersion:
            require_role(identify(conn, actor), "developer", "register models")
            artifact = _model_artifact(conn, model_artifact_id)
            source = check_provenance(conn, artifact)
            version = _insert_version(conn, name, artifact, actor=actor, description=description)
            append_audit(conn, actor=actor, action="model.register", target=f"model:{version.ref}",
                         details={"artifact_id": artifact.id, "digest": artifact.digest, "source": source})
            return version

        return self._write(work)

    def import_model(self, path: str | Path, *, name: str, trust: bool, description: str = "",
                     reason: str = "", user: str | None = None) -> ModelVersion:
        """Bring an outside model (a pickle file or a saved package folder) in as a new version of ``name``.

        ``trust`` must be True: an outside pickle runs its author's code when loaded. The
        artifact, the version and the audit event that vouches for them commit together.
        """
        check_name(name)
        _check_text(description, "description")
        _check_text(reason, "reason")
        if trust is not True:
            raise InvalidInputError(
                f"importing {path} would let its author's code run whenever the model is loaded; Loopline imports "
                "outside models only when told to trust them",
                hint=f"if you trust where it came from: loopline models import {path} --name {name} --trust",
            )
        actor = _actor(user)
        require_role(self.users.identity(actor), "admin", "import outside models")
        staged = stage_import(self.artifacts, Path(path), name=name, user=actor)

        def work(conn: Connection) -> ModelVersion:
            require_role(identify(conn, actor), "admin", "import outside models")
            artifact = insert_artifacts(conn, {"model": staged}, producer=None)["model"]
            version = _insert_version(conn, name, artifact, actor=actor, description=description)
            append_audit(conn, actor=actor, action=IMPORT_ACTION, target=f"model:{version.ref}", reason=reason,
                         details={"artifact_id": artifact.id, "digest": artifact.digest, "trusted": True,
                                  **staged.properties})
            return version

        return self._write(work)

    def promote(self, name: str, version: int, alias: str, *, user: str | None = None, reason: str = "",
                expected_revision: int | None = None) -> AliasMove:
        """Move ``alias`` to ``version`` if the alias's policy allows it and nobody moved the alias meanwhile.

        ``expected_revision`` is the alias's revision the caller saw (0: no such alias yet);
        None reads it now. PolicyRefused lists every unmet condition; ConflictError means
        another change won.
        """
        check_name(name)
        check_version(version)
        check_alias(alias)
        _check_text(reason, "reason")
        actor = _actor(user)
        seen = self.db.read(lambda conn: alias_sql.alias_state(
            conn, model_sql.load_model(conn, name, with_aliases=False).id, alias
        ))
        if expected_revision is not None and expected_revision != seen.revision:
            raise alias_sql.conflict(name, alias, alias_sql.AliasState(None, expected_revision), seen)
        if seen.version == version:
            raise InvalidInputError(f"{name}@{alias} already points at version {version}; nothing to do")

        def work(conn: Connection) -> AliasMove | PolicyCheck:
            model = model_sql.load_model(conn, name, with_aliases=False)
            found = model_sql.load_version(conn, model, version, lock="share")
            current = alias_sql.alias_state(conn, model.id, alias)
            if current != seen:
                raise alias_sql.conflict(name, alias, seen, current)
            verdict = check_policy(conn, self.policies, identify(conn, actor), model, found, alias)
            target = f"model:{name}@{alias}"
            conditions = [{"name": c.name, "met": c.met, "detail": c.detail} for c in verdict.conditions]
            if not verdict.allowed:
                append_audit(conn, actor=actor, action="policy.refuse", target=target, reason=reason,
                             details={"version": version, "conditions": conditions})
                return verdict
            move = alias_sql.move_alias(conn, model, alias, seen=current, to_version=version,
                                        action=alias_sql.PROMOTE, actor=actor, reason=reason)
            append_audit(conn, actor=actor, action="model.promote", target=target, reason=reason,
                         details={"from": current.version, "to": version, "revision": move.revision,
                                  "conditions": conditions})
            return move

        result = self._write(work)
        if isinstance(result, PolicyCheck):
            raise _refusal(result)
        return result

    def approve(self, name: str, version: int, *, user: str | None = None, alias: str | None = None,
                comment: str = "") -> Approval:
        """Record ``user``'s approval of the version (for ``alias``, or for every alias when None)."""
        return self._decide(name, version, APPROVED, user=user, alias=alias, comment=comment)

    def reject(self, name: str, version: int, *, user: str | None = None, alias: str | None = None,
               comment: str = "") -> Approval:
        """Record ``user``'s rejection: the version may not move behind the alias while it stands."""
        return self._decide(name, version, REJECTED, user=user, alias=alias, comment=comment)

    def rollback(self, name: str, alias: str, *, user: str | None = None, reason: str = "") -> AliasMove:
        """Move ``alias`` back to the version it pointed at before the current one (no policy check)."""
        check_name(name)
        check_alias(alias)
        _check_text(reason, "reason")
        actor = _actor(user)

        def work(conn: Connection) -> AliasMove:
            require_role(identify(conn, actor), "developer", "roll back aliases")
            model = model_sql.load_model(conn, name, with_aliases=False)
            current = alias_sql.alias_state(conn, model.id, alias)
            if current.version is None:
                raise _no_alias(model, alias)
            target = alias_sql.rollback_target(alias_sql.history(conn, model, alias))
            if target is None:
                raise InvalidInputError(f"{name}@{alias} has no earlier version to go back to",
                                        hint=f"see its moves with 'loopline models show {name}'")
            if model_sql.load_version(conn, model, target).status != model_sql.ACTIVE:
                raise InvalidInputError(f"{name}@{alias} would go back to version {target}, which is archived")
            move = alias_sql.move_alias(conn, model, alias, seen=current, to_version=target,
                                        action=alias_sql.ROLLBACK, actor=actor, reason=reason)
            append_audit(conn, actor=actor, action="model.rollback", target=f"model:{name}@{alias}", reason=reason,
                         details={"from": current.version, "to": target, "revision": move.revision})
            return move

        return self._write(work)

    def archive(self, name: str, version: int, *, user: str | None = None, reason: str = "") -> ModelVersion:
        """Mark the version archived: it may no longer be promoted. No alias may point at it."""
        _check_text(reason, "reason")
        actor = _actor(user)

        def work(conn: Connection) -> ModelVersion:
            require_role(identify(conn, actor), "developer", "archive versions")
            model, found = _version(conn, name, version, lock="update")
            holders = sorted(a for a, v in model_sql.aliases_of(conn, model.id).items() if v == version)
            if holders:  # read after the lock: a promotion that held it has committed by now
                raise ConflictError(
                    f"{found.ref} is behind {', '.join(holders)}; an alias must not point at an archived version",
                    hint=f"promote another version to {holders[0]} (or roll it back) first",
                )
            if found.status == model_sql.ARCHIVED:
                raise InvalidInputError(f"{found.ref} is archived already")
            model_sql.set_status(conn, found, model_sql.ARCHIVED)
            append_audit(conn, actor=actor, action="model.archive", target=f"model:{found.ref}", reason=reason)
            return model_sql.load_version(conn, model, version)

        return self._write(work)

    # -- internals ----------------------------------------------------------------------------

    def _decide(self, name: str, version: int, decision: str, *, user: str | None, alias: str | None,
                comment: str) -> Approval:
        if alias is not None:
            check_alias(alias)
        _check_text(comment, "comment")
        actor = _actor(user)
        policy = self.policies.get(alias, DEFAULT_POLICY) if alias is not None else DEFAULT_POLICY
        verb = "approve" if decision == APPROVED else "reject"

        def work(conn: Connection) -> Approval:
            identity = identify(conn, actor)
            scope = f" for '{alias}'" if alias else ""
            require_role(identity, policy.approver_role, f"{verb} versions{scope}")
            _, found = _version(conn, name, version)
            if found.status != model_sql.ACTIVE:
                raise InvalidInputError(f"{found.ref} is archived; there is nothing to {verb}")
            if decision == APPROVED and actor == found.created_by and not policy.allow_self_approval:
                raise PermissionDenied(
                    f"'{actor}' registered {found.ref} and so may not approve it: approvals need a second person",
                    hint="ask another approver; a policy may allow it with allow_self_approval = true",
                )
            approval = record_decision(conn, found, alias=alias, decision=decision, user=actor,
                                       role=identity.role or "viewer", comment=comment)
            append_audit(conn, actor=actor, action=f"model.{verb}", target=f"model:{found.ref}", reason=comment,
                         details={"alias": alias, "role": identity.role})
            return approval

        return self._write(work)

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            return self.db.write(work)
        except DatabaseIntegrityError as exc:
            raise ConflictError(
                f"a concurrent change to the registry won; nothing was changed ({str(exc.orig).splitlines()[0]})",
                hint="look at the current state and try again",
            ) from exc


def _actor(user: str | None) -> str:
    return current_user_name() if user is None else check_user_name(user)


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidInputError(f"the {what} must be text of at most {MAX_TEXT} characters")


def _version(conn: Connection, name: str, version: int, *,
             lock: str | None = None) -> tuple[RegisteredModel, ModelVersion]:
    check_name(name)
    check_version(version)
    model = model_sql.load_model(conn, name)
    return model, model_sql.load_version(conn, model, version, lock=lock)


def _resolve(conn: Connection, ref: ModelRef) -> ModelVersion:
    if ref.alias is not None:  # the hot path of serving: one query
        found = model_sql.version_by_alias(conn, ref.name, ref.alias)
        if found is not None:
            return found
    model = model_sql.load_model(conn, ref.name)
    if ref.alias is not None:
        number = model.aliases.get(ref.alias)
        if number is None:
            raise _no_alias(model, ref.alias)
        return model_sql.load_version(conn, model, number)
    if ref.version is not None:
        return model_sql.load_version(conn, model, ref.version)
    return model_sql.newest_version(conn, model)


def _no_alias(model: RegisteredModel, alias: str) -> NotFoundError:
    hint = did_you_mean(alias, model.aliases) or (
        f"its aliases: {', '.join(f'{a} -> {v}' for a, v in model.aliases.items())}" if model.aliases
        else f"it has no alias yet; promote a version: loopline models promote {model.name} VERSION --alias {alias}"
    )
    return NotFoundError(f"model '{model.name}' has no alias '{alias}'", hint=hint)


def _model_artifact(conn: Connection, artifact_id: int) -> Artifact:
    if isinstance(artifact_id, bool) or not isinstance(artifact_id, int) or artifact_id < 1:
        raise InvalidInputError(f"{artifact_id!r} is not an artifact id")
    found = load_artifacts(conn, [artifact_id]).get(artifact_id)
    if found is None:
        raise NotFoundError(f"no artifact with id {artifact_id}",
                            hint="see a run's outputs with 'loopline runs show RUN'")
    if found.type != ArtifactType.MODEL.value:
        raise InvalidInputError(
            f"artifact/{artifact_id} is a {found.type}, not a Model; only Model artifacts can be registered",
            hint="register the output of the step that returns the ModelPackage",
        )
    return found


def _insert_version(conn: Connection, name: str, artifact: Artifact, *, actor: str, description: str) -> ModelVersion:
    model_id = model_sql.ensure_model(conn, name, actor=actor, description=description)
    number = model_sql.next_version(conn, model_id)
    return model_sql.insert_version(conn, model_id, name, number, artifact.id, actor=actor, description=description)


def _refusal(check: PolicyCheck) -> PolicyRefused:
    unmet = [f"{c.name}: {c.detail}" for c in check.unmet]
    lines = "\n".join(f"  - {line}" for line in unmet)
    return PolicyRefused(
        f"the policy of '{check.alias}' refuses {check.name}/{check.version} (promoted by {check.user}); "
        f"{len(unmet)} condition(s) unmet:\n{lines}",
        unmet=unmet,
        hint=f"the refusal is in the audit log; see every condition with "
        f"'loopline models check {check.name} {check.version} --alias {check.alias}'",
    )


__all__ = ["Registry"]
