"""Web UI log-in: server-side sessions, log-in throttling and self sign-up.

A session is a random 256-bit token in a cookie; the database keeps only its SHA-256 digest,
the user, a CSRF synchronizer token and two times. A session ends at log-out, after
``IDLE_TIMEOUT`` without a request, or ``ABSOLUTE_TIMEOUT`` after log-in, whichever is first
(reference S8).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ocppsim.services.accounts import Accounts, NewUser, Principal
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.errors import Forbidden, TooMany
from ocppsim.store.repository import Store

IDLE_TIMEOUT = timedelta(hours=12)
ABSOLUTE_TIMEOUT = timedelta(days=7)
#: A session's last request time is written at most this often.
SEEN_RESOLUTION = timedelta(seconds=60)
#: Log-in throttling (reference S7): per account name and per client address, attempts
#: within WINDOW (from the first one); from the LIMIT-th on, each further one doubles a
#: lock-out (1 s, 2 s, 4 s, ... up to MAX_DELAY). An attempt counts before its password is
#: checked, so a burst sent at once is throttled too; a success takes its own count back
#: (the client's) or clears the name's.
WINDOW = 15 * 60.0
ACCOUNT_LIMIT = 10
CLIENT_LIMIT = 50
MAX_DELAY = 15 * 60.0
#: Sign-ups per client address and WINDOW (each costs an Argon2 hash and a user).
SIGNUP_LIMIT = 10
#: Names and addresses remembered at most (oldest forgotten first): bounded memory.
THROTTLE_ENTRIES = 10_000
SIGNUP_SETTING = "signup_enabled"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: who, and the CSRF token their state-changing requests must carry."""

    principal: Principal
    csrf_token: str


@dataclass(frozen=True, slots=True)
class StartedSession:
    token: str  # the cookie's value; never stored
    session: WebSession


@dataclass(slots=True)
class _Failures:
    count: int
    first: float
    locked_until: float


class LoginThrottle:
    """Counts attempts per key (account name, client address) in a window that starts with
    the first one."""

    def __init__(self, limit: int, *, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._clock = clock
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        now = self._clock()
        if now - entry.first > WINDOW and now >= entry.locked_until:
            del self._entries[key]
            return 0.0
        return max(0.0, entry.locked_until - now)

    def failed(self, key: str) -> None:
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or (now - entry.first > WINDOW and now >= entry.locked_until):
            entry = _Failures(0, now, 0.0)
        entry.count += 1
        if entry.count >= self._limit:
            delay = min(MAX_DELAY, 2.0 ** (entry.count - self._limit))
            entry.locked_until = now + delay
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > THROTTLE_ENTRIES:
            self._entries.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._entries.pop(key, None)

    def forgive(self, key: str) -> None:
        """Take one attempt back (it turned out well)."""
        entry = self._entries.get(key)
        if entry is not None and entry.count > 0:
            entry.count -= 1


class WebSessions:
    """Log-in, log-out, session lookup and the sign-up switch."""

    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] | None = None,
        signup_default: bool = True,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock
        tick = monotonic or time.monotonic
        self._by_account = LoginThrottle(ACCOUNT_LIMIT, clock=tick)
        self._by_client = LoginThrottle(CLIENT_LIMIT, clock=tick)
        self._signups = LoginThrottle(SIGNUP_LIMIT, clock=tick)
        self._signup_default = signup_default

    async def log_in(self, name: str, password: str, client: str) -> StartedSession | None:
        """A new session if the password is right; None if not. Raises ``TooMany`` while the
        account name or the client address is locked out (unknown names are throttled alike,
        so the answer tells nothing about which names exist)."""
        account = name.casefold()
        wait = max(self._by_account.wait(account), self._by_client.wait(client))
        if wait > 0:
            raise TooMany(f"too many failed log-ins: try again in {math.ceil(wait)} s")
        # Counted before the (slow) check: concurrent guesses cannot all pass the test above.
        self._by_account.failed(account)
        self._by_client.failed(client)
        who = await self._accounts.verify_password(name, password)
        if who is None:
            return None
        self._by_account.succeeded(account)
        self._by_client.forgive(client)
        return await self.start(who)

    async def start(self, who: Principal) -> StartedSession:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        await self._store.create_web_session(who.user_id, _digest(token), csrf, self._clock())
        return StartedSession(token, WebSession(who, csrf))

    async def resolve(self, token: str, *, touch: bool = True) -> WebSession | None:
        """The live session of ``token``; expired sessions are deleted and give None.
        ``touch=False`` checks without counting as use (an open stream rechecking)."""
        if not token or len(token) > 100:
            return None
        digest = _digest(token)
        found = await self._store.web_session(digest)
        if found is None:
            return None
        record, user = found
        now = self._clock()
        if now - record.last_seen_at > IDLE_TIMEOUT or now - record.created_at > ABSOLUTE_TIMEOUT:
            await self._store.delete_web_session(digest)
            return None
        if touch and now - record.last_seen_at >= SEEN_RESOLUTION:
            await self._store.touch_web_session(record.id, now)
        return WebSession(Principal(user.id, user.name, user.is_admin), record.csrf_token)

    async def log_out(self, token: str) -> None:
        if token:
            await self._store.delete_web_session(_digest(token))

    async def prune(self) -> int:
        now = self._clock()
        return await self._store.delete_stale_web_sessions(
            now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT
        )

    # --- self sign-up ---

    async def signup_enabled(self) -> bool:
        stored = await self._store.server_setting(SIGNUP_SETTING)
        return self._signup_default if stored is None else stored == "true"

    async def set_signup(self, who: Principal, enabled: bool) -> bool:
        if not who.is_admin:
            raise Forbidden("only an administrator can change server settings")
        await self._store.set_server_setting(SIGNUP_SETTING, "true" if enabled else "false")
        return enabled

    async def sign_up(
        self, name: str, password: str, client: str, *, backend_url: str
    ) -> tuple[NewUser, StartedSession]:
        """A new (non-admin) user with a first API key, logged in, if sign-up is on."""
        if not await self.signup_enabled():
            raise Forbidden("sign-up is turned off on this server: ask an administrator")
        wait = self._signups.wait(client)
        if wait > 0:
            raise TooMany(f"too many sign-ups from your address: try again in {math.ceil(wait)} s")
        # Every attempt counts, before its password is hashed (a taken name costs a hash too).
        self._signups.failed(client)
        new = await self._accounts.create_user(name, password, backend_url=backend_url)
        user = new.user
        return new, await self.start(Principal(user.id, user.name, user.is_admin))
