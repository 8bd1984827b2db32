"""Users, passwords and personal API keys.

Keys look like ``ocps_<8 id chars>_<43 secret chars>``: the ``ocps_<id>`` prefix is a public
handle (shown, greppable by secret scanners); the secret carries 256 random bits. Only the
SHA-256 digest of the whole key is stored, compared in constant time (reference S5, §4.4).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ocppsim.core.limits import ACCOUNT_PASSWORD
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.errors import Conflict, Invalid, NotFound, refuse
from ocppsim.services.settings import default_settings
from ocppsim.store.records import DuplicateError, UserRecord
from ocppsim.store.repository import Store

KEY_SCHEME = "ocps"
_ID_ALPHABET = string.ascii_letters + string.digits
_KEY_RE = re.compile(r"^ocps_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")
USER_NAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")  # use fullmatch: "$" lets "\n" through
#: A key's last use is written at most this often, so authentication stays a read.
LAST_USED_RESOLUTION = timedelta(seconds=60)
# A digest to compare against when the key's prefix is unknown, so both paths cost the same.
_DUMMY_DIGEST = hashlib.sha256(b"ocppsim-no-such-key").digest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting user of a request."""

    user_id: int
    name: str
    is_admin: bool


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly made key: ``key`` is shown once and never stored."""

    key: str
    prefix: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class KeyInfo:
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewUser:
    user: UserRecord
    key: IssuedKey


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def make_key() -> tuple[str, str, bytes]:
    """A new random key, its public prefix and its digest."""
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
    prefix = f"{KEY_SCHEME}_{key_id}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, _digest(key)


def check_user_name(name: str) -> str:
    if not USER_NAME_RE.fullmatch(name):
        raise Invalid("name", "use 1-64 letters, digits or . _ @ -")
    return name


def check_password(password: str) -> str:
    refuse("password", ACCOUNT_PASSWORD.problem(password))
    return password


class Accounts:
    """Users and their API keys."""

    def __init__(
        self, store: Store, *, clock: Clock = utc_now, hasher: PasswordHasher | None = None
    ):
        self._store = store
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        # Argon2 uses 64 MiB and ~0.3 s per hash: bound concurrent hashing (reference S7).
        self._hashing = asyncio.Semaphore(2)

    async def _hash(self, password: str) -> str:
        async with self._hashing:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_password(self, name: str, password: str) -> Principal | None:
        """The user if ``password`` is theirs; unknown users cost the same as wrong passwords."""
        user = await self._store.user_by_name(name)
        stored = user.password_hash if user else None
        async with self._hashing:
            ok = await asyncio.to_thread(self._verify, stored, password)
        if user is None or not ok:
            return None
        return Principal(user.id, user.name, user.is_admin)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            if stored is None:
                self._hasher.hash(password)  # same work as a real check
                return False
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def create_user(
        self, name: str, password: str, *, is_admin: bool = False, backend_url: str
    ) -> NewUser:
        check_user_name(name)
        check_password(password)
        password_hash = await self._hash(password)
        key, prefix, digest = make_key()
        now = self._clock()
        try:
            user = await self._store.create_user(
                name=name,
                password_hash=password_hash,
                is_admin=is_admin,
                now=now,
                settings=default_settings(backend_url),
                key_prefix=prefix,
                key_digest=digest,
            )
        except DuplicateError as exc:
            raise Conflict(str(exc)) from None
        return NewUser(user, IssuedKey(key, prefix, now))

    async def list_users(self) -> list[UserRecord]:
        return await self._store.list_users()

    async def count_users(self) -> int:
        return await self._store.count_users()

    async def rotate_key(self, name: str) -> IssuedKey:
        """Revoke all of the user's keys and issue one new key."""
        user = await self._store.user_by_name(name)
        if user is None:
            raise NotFound(f"no user named {name!r}")
        key, prefix, digest = make_key()
        now = self._clock()
        await self._store.replace_keys(user.id, prefix, digest, now)
        return IssuedKey(key, prefix, now)

    async def authenticate(self, key: str) -> Principal | None:
        """The owner of ``key``, or None. Revoked keys fail at once (no cache)."""
        match = _KEY_RE.match(key)
        found = None
        if match:
            found = await self._store.key_and_owner(f"{KEY_SCHEME}_{match.group(1)}")
        expected = found[0].digest if found else _DUMMY_DIGEST
        if not hmac.compare_digest(expected, _digest(key)) or found is None:
            return None
        record, user = found
        now = self._clock()
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            await self._store.touch_key(record.id, now)
        return Principal(user.id, user.name, user.is_admin)

    async def list_keys(self, who: Principal) -> list[KeyInfo]:
        return [
            KeyInfo(k.prefix, k.created_at, k.last_used_at)
            for k in await self._store.list_keys(who.user_id)
        ]

    async def create_key(self, who: Principal) -> IssuedKey:
        key, prefix, digest = make_key()
        record = await self._store.add_key(who.user_id, prefix, digest, self._clock())
        return IssuedKey(key, prefix, record.created_at)

    async def revoke_key(self, who: Principal, prefix: str) -> None:
        result = await self._store.revoke_key(who.user_id, prefix, keep_one=True)
        if result is None:
            raise NotFound(f"no API key with prefix {prefix!r}")
        if result is False:
            raise Conflict("this is your last API key: create a new one before revoking it")
