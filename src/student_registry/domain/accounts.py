"""Accounts: users and their roles, sign-in, API tokens, and who acts on a request (the actor)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from student_registry.domain import passwords, rules
from student_registry.domain.audit import current_trace
from student_registry.errors import (
    FieldError,
    InvalidAccount,
    InvalidCredentials,
    OwnAdminRights,
    TooManyAttempts,
    UserNotFound,
)
from student_registry.store.accounts_store import AccountsStore, Record, Throttle

Role = Literal["viewer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "staff", "admin")
RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

TOKEN_PREFIX = "srg_"  # noqa: S105  (a public prefix, for secret scanners)
TOKEN_BYTES = 32
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 365
# A token's last use is written at most this often (seconds).
TOKEN_TOUCH_EVERY = 60
# A worker trusts a token it checked for this long: well within the promise that a revoked
# token is refused within a second, and under load it saves the check's round trip on nearly
# every request. A change made through this worker forgets them all at once.
TOKEN_TRUST_SECONDS = 0.5
TOKEN_TRUST_SIZE = 1024
# Failed sign-ins: 5 free, then 1 s doubling up to 15 min per account; 100 per 15 min per address.
THROTTLE = Throttle(
    free_failures=5,
    first_delay_ms=1_000,
    longest_delay_ms=15 * 60 * 1_000,
    address_budget=100,
    address_window_ms=15 * 60 * 1_000,
)

UserEmail = Annotated[
    str,
    Meta(max_length=rules.EMAIL_MAX, pattern=rules.EMAIL_PATTERN, examples=["ada@example.org"]),
]
TokenName = Annotated[str, Meta(min_length=1, max_length=100, examples=["nightly export"])]
TokenDays = Annotated[int, Meta(ge=1, le=TOKEN_MAX_DAYS, description="Days until it expires.")]


class Actor(Struct, frozen=True, kw_only=True):
    """Who acts on a request: a signed-in user, or a user's API token."""

    email: str
    role: Role
    token_id: str | None = None
    read_only: bool = False

    @property
    def name(self) -> str:
        """How a trail names this actor: the email, or ``token:<id>``."""
        return f"token:{self.token_id}" if self.token_id else self.email

    def may(self, role: Role, *, write: bool) -> bool:
        """Whether this actor has at least `role`; a read-only token never writes."""
        if write and self.read_only:
            return False
        return RANK[self.role] >= RANK[role]


class Me(Struct, kw_only=True):
    """The caller, as GET /api/v1/me shows it."""

    email: str
    role: Role


class UserCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """A new user."""

    email: UserEmail
    password: Annotated[str, Meta(max_length=passwords.PASSWORD_MAX_LENGTH)]
    role: Role = "viewer"


class UserPatch(Struct, forbid_unknown_fields=True, kw_only=True):
    """A change to a user: their role or whether they are disabled."""

    role: Role | UnsetType = UNSET
    disabled: bool | UnsetType = UNSET


class User(Struct, kw_only=True):
    """A user as shown: never their password hash."""

    email: str
    role: Role
    disabled: bool
    created_at: datetime


class TokenCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """A new API token's name, lifetime and whether it may only read."""

    name: TokenName
    days: TokenDays = TOKEN_DEFAULT_DAYS
    read_only: bool = False


class TokenCreated(Struct, kw_only=True):
    """A new token, with its secret: shown this once."""

    id: str
    name: str
    token: str
    expires_at: datetime
    read_only: bool


class Token(Struct, kw_only=True):
    """A token as listed: without its secret."""

    id: str
    name: str
    owner: str
    expires_at: datetime
    read_only: bool
    created_at: datetime
    last_used_at: datetime | None = None


def normalize_email(email: str) -> str:
    """The form an email is compared in: trimmed, lower-cased."""
    return email.strip().lower()


def token_digest(token: str) -> str:
    """The SHA-256 of a token, hex: all the store keeps of it."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A new token: the prefix secret scanners know, then 32 random bytes in base64url."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _at(seconds: str) -> datetime:
    return datetime.fromtimestamp(int(float(seconds)), UTC)


def _user(record: Record) -> User:
    return User(
        email=record["email"],
        role=msgspec.convert(record["role"], Role),
        disabled=record.get("disabled") == "1",
        created_at=_at(record["created_at"]),
    )


def _token(record: Record) -> Token:
    used = record.get("last_used_at")
    return Token(
        id=record["id"],
        name=record["name"],
        owner=record["owner"],
        expires_at=_at(record["expires_at"]),
        read_only=record.get("read_only") == "1",
        created_at=_at(record["created_at"]),
        last_used_at=_at(used) if used else None,
    )


class Accounts:
    """The account rules over the accounts store. `clock` gives seconds since the epoch."""

    def __init__(
        self,
        store: AccountsStore,
        *,
        password_min_length: int = 15,
        clock: Callable[[], float] = time.time,
        token_trust_seconds: float = TOKEN_TRUST_SECONDS,
    ) -> None:
        self.store = store
        self.password_min_length = password_min_length
        self.clock = clock
        self.token_trust_seconds = token_trust_seconds
        # Digest -> (monotonic deadline, actor) of tokens checked a moment ago.
        self._checked: OrderedDict[str, tuple[float, Actor]] = OrderedDict()

    def _check_email(self, email: str) -> str:
        try:
            msgspec.convert(email, UserEmail)
        except msgspec.ValidationError:
            raise InvalidAccount(
                [FieldError(path="email", message=rules.MESSAGES["email"])]
            ) from None
        return normalize_email(email)

    async def create_user(self, data: UserCreate, *, only_first: bool = False) -> User | None:
        """Create a user (None when only_first and a user exists); UserExists when taken."""
        email = data.email.strip()
        email_norm = self._check_email(email)
        passwords.check_password(data.password, min_length=self.password_min_length)
        password_hash = await passwords.hash_password(data.password)
        created = int(self.clock())
        stored = await self.store.create_user(
            email=email,
            email_norm=email_norm,
            role=data.role,
            password_hash=password_hash,
            created=created,
            only_first=only_first,
            trace=current_trace(),
        )
        if not stored:
            return None
        return User(email=email, role=data.role, disabled=False, created_at=_at(str(created)))

    async def get_user(self, email: str) -> User:
        """One user; UserNotFound."""
        record = await self.store.get_user(normalize_email(email))
        if record is None:
            raise UserNotFound(email)
        return _user(record)

    async def list_users(self) -> list[User]:
        """Every user, by email."""
        return [_user(record) for record in await self.store.list_users()]

    async def has_users(self) -> bool:
        """Whether any user exists (until one does, nothing is served)."""
        return await self.store.count_users() > 0

    async def update_user(self, email: str, patch: UserPatch, *, by: str | None = None) -> User:
        """Change a user's role or state; any change ends all their sessions and tokens.

        `by` is the email of the user making the change (None for the command line, which is
        the operator's way back in): an admin cannot demote or disable themselves, so a
        registry never loses its last admin by a slip of the one who is signed in.
        """
        email_norm = normalize_email(email)
        demotes = not isinstance(patch.role, UnsetType) and patch.role != "admin"
        if by is not None and normalize_email(by) == email_norm and (demotes or patch.disabled):
            raise OwnAdminRights
        changes: dict[str, str] = {}
        if not isinstance(patch.role, UnsetType):
            changes["role"] = patch.role
        if not isinstance(patch.disabled, UnsetType):
            changes["disabled"] = "1" if patch.disabled else ""
        if changes:
            await self.store.update_user(
                email_norm, changes, end_access=True, trace=current_trace()
            )
            self._checked.clear()
        return await self.get_user(email_norm)

    async def set_password(self, email: str, password: str) -> None:
        """Give a user a new password, ending all their sessions and tokens."""
        passwords.check_password(password, min_length=self.password_min_length)
        password_hash = await passwords.hash_password(password)
        await self.store.update_user(
            normalize_email(email),
            {"password_hash": password_hash},
            end_access=True,
            trace=current_trace(),
        )
        self._checked.clear()

    async def sign_in(self, email: str, password: str, *, address: str) -> User:
        """The user with these credentials; InvalidCredentials, or TooManyAttempts to wait.

        An unknown email costs the same hash verification as a known one.
        """
        email_norm = normalize_email(email)[: rules.EMAIL_MAX]
        # Who tries to sign in is the email tried.
        trace = current_trace(actor=email_norm)
        now_ms = int(self.clock() * 1000)
        wait = await self.store.throttle_wait(email_norm, address, now_ms=now_ms, policy=THROTTLE)
        if wait > 0:
            raise TooManyAttempts(-(-wait // 1000))
        record = await self.store.get_user(email_norm) if email_norm else None
        stored_hash = record["password_hash"] if record else passwords.dummy_hash()
        valid, new_hash = await passwords.verify_password(password, stored_hash)
        if not (valid and record and record.get("disabled") != "1"):
            await self.store.record_failure(
                email_norm, address, now_ms=now_ms, policy=THROTTLE, trace=trace
            )
            raise InvalidCredentials
        await self.store.record_success(email_norm, address, trace=trace)
        if new_hash:
            await self.store.update_user(
                email_norm, {"password_hash": new_hash}, end_access=False, trace=trace
            )
        return _user(record)

    async def open_session(self, user: User, *, ttl_seconds: int) -> str:
        """A new page-session id for a user who just signed in, ended with their access."""
        session_id = secrets.token_urlsafe(32)
        await self.store.add_session(
            normalize_email(user.email), session_id, ttl_seconds=ttl_seconds
        )
        return session_id

    async def create_token(self, owner: str, data: TokenCreate) -> TokenCreated:
        """A new token for an enabled user; its secret is returned this once."""
        token = new_token()
        digest = token_digest(token)
        created = int(self.clock())
        expires = created + data.days * 86_400
        await self.store.create_token(
            token_id=digest[:16],
            digest=digest,
            owner=normalize_email(owner),
            name=data.name,
            expires=expires,
            read_only=data.read_only,
            created=created,
            trace=current_trace(),
        )
        return TokenCreated(
            id=digest[:16],
            name=data.name,
            token=token,
            expires_at=_at(str(expires)),
            read_only=data.read_only,
        )

    async def list_tokens(self, owner: str | None) -> list[Token]:
        """A user's tokens (None: everyone's), soonest to expire first; no secrets."""
        records = await self.store.list_tokens(None if owner is None else normalize_email(owner))
        return sorted((_token(r) for r in records), key=lambda t: (t.expires_at, t.id))

    async def revoke_token(self, token_id: str, *, owner: str | None = None) -> None:
        """Revoke a token by id; with an owner, only one of theirs (else TokenNotFound)."""
        await self.store.revoke_token(
            token_id,
            owner=normalize_email(owner) if owner is not None else "",
            trace=current_trace(),
        )
        self._checked.clear()

    async def authenticate_token(self, token: str) -> Actor | None:
        """Who a bearer token acts for; None when unknown, expired or its owner is disabled."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest = token_digest(token)
        checked = self._checked.get(digest)
        if checked is not None and checked[0] > time.monotonic():
            return checked[1]
        found = await self.store.authenticate_token(
            digest, now=int(self.clock()), touch_every=TOKEN_TOUCH_EVERY
        )
        if found is None:
            return None
        actor = Actor(
            email=found.email,
            role=msgspec.convert(found.role, Role),
            token_id=found.token_id,
            read_only=found.read_only,
        )
        if self.token_trust_seconds > 0:
            self._checked[digest] = (time.monotonic() + self.token_trust_seconds, actor)
            if len(self._checked) > TOKEN_TRUST_SIZE:
                self._checked.popitem(last=False)
        return actor
