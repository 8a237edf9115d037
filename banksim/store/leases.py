"""Leases: when many processes miss the same key, one computes and the others wait for it.

A lease is a row (key, owner, expiry) claimed under the key's lock; its owner renews it from a
background thread while it computes. A crashed owner stops renewing, its lease expires, and the
next claim takes it over. Expiries compare the clocks of the machines that share the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from banksim.models import utcnow
from banksim.settings import mask_secrets

from .names import check_lease_seconds
from .rows import LEASES

if TYPE_CHECKING:
    from .core import Store

__all__ = ["Lease", "check_lease_seconds", "claim"]

log = logging.getLogger("banksim.store")


class Lease:
    """A held claim to compute one key; renewed until :meth:`release`."""

    def __init__(self, store: Store, params_hash: str, owner: str, seconds: float) -> None:
        self.store = store
        self.params_hash = params_hash
        self.owner = owner
        self.seconds = seconds
        self._released = threading.Event()
        self._releasing = threading.Lock()
        self._renewer = threading.Thread(
            target=self._renew, name=f"banksim-lease-{params_hash[:12]}", daemon=True
        )
        self._renewer.start()

    def _renew(self) -> None:
        while not self._released.wait(self.seconds / 3):
            try:
                with self.store.transaction(write=True, lock_keys=[_lock(self.params_hash)]) as conn:
                    renewed = conn.execute(
                        update(LEASES)
                        .where(LEASES.c.params_hash == self.params_hash, LEASES.c.owner == self.owner)
                        .values(expires_at=_expiry(self.seconds))
                    ).rowcount
            except Exception as exc:  # a busy or unreachable database: try again next time
                log.warning("lease on %s not renewed: %s", self.params_hash[:12], self._masked(exc))
                continue
            if not renewed:
                log.warning("lease on %s was taken over; computing anyway", self.params_hash[:12])
                return

    def release(self) -> None:
        """Stop renewing and remove the lease if it is still ours. Best effort: if the database
        cannot be reached, the lease simply expires. A second call does nothing."""
        with self._releasing:
            if self._released.is_set():
                return
            self._released.set()
        self._renewer.join()
        try:
            with self.store.transaction(write=True, lock_keys=[_lock(self.params_hash)]) as conn:
                conn.execute(
                    delete(LEASES).where(
                        LEASES.c.params_hash == self.params_hash, LEASES.c.owner == self.owner
                    )
                )
        except Exception as exc:
            log.warning(
                "lease on %s not released (it will expire): %s", self.params_hash[:12], self._masked(exc)
            )

    def _masked(self, exc: Exception) -> str:
        return mask_secrets(str(exc), self.store.url)


def claim(store: Store, params_hash: str, seconds: float) -> Lease | None:
    """Take the lease on ``params_hash`` for ``seconds`` (renewed while held), or None if another
    owner holds one that has not expired. A live lease is seen with a read; only a claim writes."""
    owner = uuid.uuid4().hex
    now = utcnow()
    with store.transaction() as conn:
        held = conn.execute(select(LEASES.c.expires_at).where(LEASES.c.params_hash == params_hash)).first()
    if held is not None and _aware(held.expires_at) > now:
        return None
    with store.transaction(write=True, lock_keys=[_lock(params_hash)]) as conn:
        held = conn.execute(
            select(LEASES.c.owner, LEASES.c.expires_at).where(LEASES.c.params_hash == params_hash)
        ).first()
        if held is not None and _aware(held.expires_at) > now:
            return None
        values = {"owner": owner, "expires_at": _expiry(seconds), "created_at": now}
        if held is None:
            conn.execute(insert(LEASES).values(params_hash=params_hash, **values))
        else:  # expired: its owner stopped renewing (crashed or killed)
            log.info("lease on %s expired; taking it over", params_hash[:12])
            conn.execute(update(LEASES).where(LEASES.c.params_hash == params_hash).values(**values))
    return Lease(store, params_hash, owner, seconds)


def _lock(params_hash: str) -> str:
    return f"leases:{params_hash}"


def _expiry(seconds: float) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=seconds)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
