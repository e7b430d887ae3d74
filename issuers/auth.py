"""Who is calling and what they may do. Pure: principals, permissions, token and password hashing."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from base.errors import UserError

ORGANISATION_TOKEN_PREFIX = "vco_"
SESSION_TOKEN_PREFIX = "vcs_"
ROLES = ("owner", "coordinator", "viewer")
# The API's first releases called the owner "admin"; it is still accepted there.
ROLE_ALIASES = {"admin": "owner"}
SCOPES = ("records:write", "credentials:issue", "credentials:status", "organisation:admin")

# action -> (roles that may do it, token scope that allows it)
ORGANISATION_ACTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "organisation.read": (("owner", "coordinator", "viewer"), None),
    "organisation.update": (("owner",), "organisation:admin"),
    "organisation.keys": (("owner",), "organisation:admin"),
    "organisation.members": (("owner",), "organisation:admin"),
    "organisation.tokens": (("owner",), "organisation:admin"),
    "records.read": (("owner", "coordinator", "viewer"), None),
    "records.write": (("owner", "coordinator"), "records:write"),
    "credentials.read": (("owner", "coordinator", "viewer"), None),
    "credentials.issue": (("owner", "coordinator"), "credentials:issue"),
    "credentials.status": (("owner", "coordinator"), "credentials:status"),
}
PLATFORM_ACTIONS = ("platform.organisations", "platform.admins", "platform.levels")

# The test suite sets VOLCRED_PASSWORD_HASH=fast: still real Argon2id, with the cheapest parameters, because
# hundreds of test logins at production cost would dominate the suite's run time.
_hasher = PasswordHasher.from_parameters(
    profiles.CHEAPEST if os.environ.get("VOLCRED_PASSWORD_HASH") == "fast" else profiles.RFC_9106_LOW_MEMORY
)


@dataclass(frozen=True)
class Principal:
    """The caller: an organisation's API token, or a person's login session."""

    kind: str  # "token" or "user"
    token_id: str | None = None
    organisation_id: str | None = None  # for organisation tokens
    scopes: tuple[str, ...] = ()
    user_id: str | None = None
    is_platform_admin: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # organisation id -> role, for users

    def can(self, action: str, organisation_id: str | None = None) -> bool:
        if action in PLATFORM_ACTIONS:
            return self.kind == "user" and self.is_platform_admin
        roles, scope = ORGANISATION_ACTIONS[action]
        if organisation_id is None:
            return False
        if self.kind == "token":
            return self.organisation_id == organisation_id and (scope is None or scope in self.scopes)
        return self.roles.get(organisation_id) in roles

    def require(self, action: str, organisation_id: str | None = None) -> None:
        if not self.can(action, organisation_id):
            raise UserError("auth.forbidden", kind="forbidden")

    def acts_for(self, organisation_id: str) -> bool:
        """True when the caller belongs to the organisation at all (used to hide others' resources as 404)."""
        if self.kind == "token":
            return self.organisation_id == organisation_id
        return organisation_id in self.roles


def normalise_role(role: str) -> str:
    """One of ROLES (the old name "admin" gives "owner"); UserError naming the allowed roles otherwise."""
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLES:
        raise UserError("user.role_unknown", errors=[{"field": "role"}], allowed=", ".join(ROLES))
    return role


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; it lets us look a token up by its hash.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise UserError("auth.password_too_short", errors=[{"field": "password"}])
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """False for an account without a password (signed in by e-mailed links only), whatever is typed."""
    if not password_hash or not password:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_scopes(scopes: list[str] | None) -> tuple[str, ...]:
    if scopes is None:
        return SCOPES
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise UserError("auth.scope_unknown", allowed=", ".join(SCOPES), given=", ".join(unknown) or "-")
    return tuple(dict.fromkeys(scopes))
