"""Leases: when many processes miss the same key, one computes and the others wait for it.

A lease is a row (key, owner, expiry) claimed under the key's lock; one background thread per store
renews every lease the store holds while their keys are computed. A crashed owner stops renewing, its
lease expires, and the next claim takes it over. The lease of a computed key goes in the transaction
that commits its result. Expiries compare the clocks of the machines that share the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import update

from banksim.models import utcnow
from banksim.settings import mask_secrets

from . import statements
from .names import check_lease_seconds
from .rows import LEASES

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .core import Store

__all__ = ["Lease", "Renewer", "check_lease_seconds", "claim"]

log = logging.getLogger("banksim.store")
IDLE_SECONDS = 10.0  # the renewing thread ends after this long with no lease held (a new claim restarts it)


class Lease:
    """A held claim to compute one key; renewed (by its store's :class:`Renewer`) until released."""

    def __init__(self, renewer: Renewer, params_hash: str, owner: str, seconds: float) -> None:
        self.store = renewer.store
        self.params_hash = params_hash
        self.owner = owner
        self.seconds = seconds
        self.due = time.monotonic() + seconds / 3  # when it is renewed next
        self._renewer = renewer
        self._released = False
        self._deleted = False  # its row went in a result's transaction: no renewal finds it
        self._releasing = threading.Lock()
        renewer.hold(self)

    @property
    def lock_key(self) -> str:
        """The lock every change to this key's lease row takes."""
        return _lock(self.params_hash)

    def delete_row(self, conn: Connection) -> None:
        """In the caller's write transaction (under :attr:`lock_key`): remove the lease if it is still
        ours; then :meth:`release` with ``deleted`` once that transaction has committed."""
        conn.execute(statements.lease_delete(), {"b_params_hash": self.params_hash, "b_owner": self.owner})
        self._deleted = True  # if that transaction rolls back, release() deletes the row again

    def abandon(self) -> None:
        """Stop renewing without releasing: what a crash does (the lease expires in its time)."""
        self._renewer.drop(self)

    def release(self, *, deleted: bool = False) -> None:
        """Stop renewing and remove the lease if it is still ours (``deleted``: its row went in a
        committed transaction already). Best effort: if the database cannot be reached, the lease
        simply expires. A second call does nothing."""
        with self._releasing:
            if self._released:
                return
            self._released = True
        self._renewer.drop(self)
        if deleted:
            return
        try:
            with self.store.transaction(write=True, lock_keys=[self.lock_key], durable=False) as conn:
                self.delete_row(conn)
        except Exception as exc:
            log.warning(
                "lease on %s not released (it will expire): %s",
                self.params_hash[:12],
                _masked(exc, self.store),
            )


class Renewer:
    """Renews the leases a store holds from one background thread, each a third of its duration
    after it was claimed or last renewed; the thread ends when it has held nothing for a while."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._held: dict[int, Lease] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def hold(self, lease: Lease) -> None:
        with self._changed:
            self._held[id(lease)] = lease
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="banksim-leases", daemon=True)
                self._thread.start()
            self._changed.notify()

    def drop(self, lease: Lease) -> None:
        with self._changed:
            self._held.pop(id(lease), None)

    def after_fork(self) -> None:
        """In a forked child: the parent's leases are the parent's, and its thread is not here."""
        self._held = {}
        self._changed = threading.Condition()
        self._thread = None

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            with self._changed:
                now = time.monotonic()
                if not self._held and now - idle_since > IDLE_SECONDS:
                    self._thread = None
                    return
                if self._held:
                    idle_since = now
                wait = min((lease.due for lease in self._held.values()), default=now + IDLE_SECONDS) - now
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                due = [lease for lease in self._held.values() if lease.due <= now]
            self._renew(due)

    def _renew(self, due: list[Lease]) -> None:
        """Renew the leases that are due, each in its own transaction (a long write holding one
        key's lock delays no other key's renewal); one taken over is no longer renewed."""
        for lease in due:
            lease.due = time.monotonic() + lease.seconds / 3
            try:
                with self.store.transaction(write=True, lock_keys=[lease.lock_key], durable=False) as conn:
                    renewed = _renewed(conn, lease)
            except Exception as exc:  # a busy or unreachable database: try again next time
                log.warning("lease on %s not renewed: %s", lease.params_hash[:12], _masked(exc, self.store))
                continue
            with self._changed:
                held = id(lease) in self._held  # not released meanwhile (its row gone with its result)
            if not renewed and held and not lease._deleted:
                log.warning("lease on %s was taken over; computing anyway", lease.params_hash[:12])
                self.drop(lease)


def _renewed(conn: Connection, lease: Lease) -> bool:
    return bool(
        conn.execute(
            update(LEASES)
            .where(LEASES.c.params_hash == lease.params_hash, LEASES.c.owner == lease.owner)
            .values(expires_at=_expiry(lease.seconds))
        ).rowcount
    )


def claim(
    store: Store, renewer: Renewer, params_hash: str, seconds: float, look: bool = True
) -> Lease | None:
    """Take the lease on ``params_hash`` for ``seconds`` (renewed while held), or None if another
    owner holds one that has not expired. With ``look``, a live lease is seen with a read first,
    so that a process waiting for another's result polls without writing."""
    owner = uuid.uuid4().hex
    now = utcnow()
    if look:
        with store.transaction() as conn:
            held = conn.execute(statements.lease_held(False), {"b_params_hash": params_hash}).first()
        if held is not None and _aware(held.expires_at) > now:
            return None
    taken = _taken_sqlite if store.sqlite_reads is not None else _taken
    if not taken(store, params_hash, owner, now, _expiry(seconds)):
        return None
    return Lease(renewer, params_hash, owner, seconds)


def _taken(store: Store, params_hash: str, owner: str, now: dt.datetime, expires: dt.datetime) -> bool:
    """Write ``owner``'s lease on ``params_hash`` unless a live one is held (through the engine)."""
    key = {"b_params_hash": params_hash}
    with store.transaction(write=True, lock_keys=[_lock(params_hash)], durable=False) as conn:
        held = conn.execute(statements.lease_held(True), key).first()
        if held is not None and _aware(held.expires_at) > now:
            return False
        values = {"owner": owner, "expires_at": expires, "created_at": now}
        if held is None:
            conn.execute(statements.insert(LEASES), {"params_hash": params_hash, **values})
        else:  # expired: its owner stopped renewing (crashed or killed)
            log.info("lease on %s expired; taking it over", params_hash[:12])
            conn.execute(statements.lease_taken_over(), {**key, **values})
    return True


def _taken_sqlite(store: Store, params_hash: str, owner: str, now: dt.datetime, expires: dt.datetime) -> bool:
    """:func:`_taken` on a SQLite file with ``sqlite3`` alone (a claim precedes every miss's
    computation: the engine's statement machinery costs several times the writes), the dates as the
    engine writes and reads them; serialised with this process's other writers, as theirs are."""
    from .reads import SQLITE_DATETIME, sqlite_datetime

    assert store.sqlite_reads is not None
    written = (owner, expires.strftime(SQLITE_DATETIME), now.strftime(SQLITE_DATETIME), params_hash)
    with store.write_lock, store.sqlite_reads.write_transaction() as conn:
        held = conn.execute("SELECT expires_at FROM leases WHERE params_hash = ?", (params_hash,)).fetchone()
        if held is not None and _aware(sqlite_datetime(held[0])) > now:
            return False
        if held is None:
            conn.execute(
                "INSERT INTO leases (owner, expires_at, created_at, params_hash) VALUES (?, ?, ?, ?)", written
            )
        else:  # expired: its owner stopped renewing (crashed or killed)
            log.info("lease on %s expired; taking it over", params_hash[:12])
            conn.execute(
                "UPDATE leases SET owner = ?, expires_at = ?, created_at = ? WHERE params_hash = ?", written
            )
    return True


def _lock(params_hash: str) -> str:
    return f"leases:{params_hash}"


def _expiry(seconds: float) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=seconds)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _masked(exc: Exception, store: Store) -> str:
    return mask_secrets(str(exc), store.url)
