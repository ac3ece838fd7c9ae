"""The hash chain over the audit trail: sealing new entries and verifying the whole chain.

Each sealed entry's hash is sha256(prev_hash + canonical JSON of its content), where the content is
every column but the hash itself (its id, seq, prev_hash and sealed_at included) and prev_hash is the
hash of the entry sealed just before it (GENESIS for the first). The values hashed are those read
back from the database, so the sealer and the verifier see the same text whatever the backend
normalised on the way in (a jsonb's key order, an IPv6 address's spelling).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from django.db import transaction
from django.utils import timezone

from .models import GENESIS, ChainHead, Entry

BATCH = 500
_CONTENT = [f.attname for f in Entry._meta.concrete_fields if f.attname != "hash"]


def _text(value):
    if hasattr(value, "astimezone"):    # a datetime: UTC, to the microsecond
        return value.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
    return value


def canonical(entry: Entry) -> str:
    """The entry's content as one JSON text: sorted keys, no spaces, UTF-8 as is."""
    content = {name: _text(getattr(entry, name)) for name in _CONTENT}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(entry: Entry) -> str:
    return hashlib.sha256((entry.prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def _head_for_update() -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:   # the migration creates it; a database emptied by hand may lack it
        ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def _seal_batch(size: int) -> int:
    with transaction.atomic():
        head = _head_for_update()
        # Read under the head's lock: a sealer that waited for it sees what the other one sealed.
        entries = list(Entry.objects.filter(seq__isnull=True).order_by("id")[:size])
        if not entries:
            return 0
        # The content hashed is as read back from the database (its own rendering of every value);
        # seq, prev_hash and sealed_at are stored exactly as set here (microseconds included).
        now = timezone.now()
        seq, previous = head.seq, head.hash
        for e in entries:
            seq += 1
            e.seq, e.prev_hash, e.sealed_at = seq, previous, now
            e.hash = previous = digest(e)
        # One UPDATE per entry's seal: the append-only trigger lets an unsealed entry be sealed once.
        Entry.objects.bulk_update(entries, ["seq", "prev_hash", "hash", "sealed_at"])
        ChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=previous, sealed_at=now)
        return len(entries)


def seal(batch: int = BATCH) -> int:
    """Seal every entry not yet sealed, in id order, in batches of `batch` (one transaction each);
    returns how many. Safe to run from several workers at once: the chain head's row lock lets one
    seal at a time, and each seals only what is still unsealed when it gets the lock."""
    total = 0
    while True:
        done = _seal_batch(batch)
        total += done
        if done < batch:
            return total


# --- verifying ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Broken:
    seq: int
    id: int | None        # None: the entry is missing (deleted)
    reason: str

    def __str__(self):
        where = f"entrada n.º {self.seq}" + (f" (id {self.id})" if self.id is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    verified: int          # sealed entries checked before the first break (all of them if none)
    unsealed: int          # entries still waiting for the sealer (not part of the chain yet)
    last_hash: str
    broken: Broken | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(chunk: int = 2000) -> Verdict:
    """Recompute the chain from its first entry up to the chain's head as it is now (entries sealed
    while this runs are left for the next time). The first break is named: an entry whose content no
    longer gives its hash (altered), whose prev_hash is not the previous entry's hash (reordered or
    re-linked), a missing number (deleted), or fewer entries than the head says were sealed
    (deleted at the end)."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        head = ChainHead(pk=1)
        if Entry.objects.filter(seq__isnull=False).exists():
            first = Entry.objects.filter(seq__isnull=False).order_by("seq").first()
            return Verdict(0, 0, GENESIS, Broken(first.seq, first.id, "falta la cabeza de la cadena (audit_chainhead) "
                                                                         "aunque hay entradas selladas"))
    unsealed = Entry.objects.filter(seq__isnull=True).count()
    previous, expected, last_id = GENESIS, 1, None

    def stop(seq, pk, reason):
        return Verdict(expected - 1, unsealed, previous, Broken(seq, pk, reason))

    for e in Entry.objects.filter(seq__isnull=False, seq__lte=head.seq).order_by("seq").iterator(chunk_size=chunk):
        if e.seq != expected:
            if e.seq > expected:
                missing = f"n.º {expected}" if e.seq == expected + 1 else f"n.º {expected} a n.º {e.seq - 1}"
                return stop(expected, None, f"falta la entrada {missing} (borrada); la siguiente es la n.º {e.seq} (id {e.id})")
            return stop(e.seq, e.id, f"número repetido o fuera de orden (se esperaba el n.º {expected})")
        if e.prev_hash != previous:
            return stop(e.seq, e.id, "su huella anterior (prev_hash) no es la huella de la entrada anterior: "
                                     "la cadena fue reordenada o reenlazada")
        if digest(e) != e.hash:
            return stop(e.seq, e.id, "su huella (hash) no corresponde a su contenido: la entrada fue alterada")
        previous, expected, last_id = e.hash, expected + 1, e.id
    if head.seq > expected - 1:
        missing = f"n.º {expected}" if head.seq == expected else f"n.º {expected} a n.º {head.seq}"
        return stop(expected, None, f"falta la entrada {missing} (borrada al final de la cadena; "
                                    f"la cabeza de la cadena registra {head.seq} selladas)")
    if head.hash != previous:
        return stop(head.seq, last_id, "la huella de la última entrada no coincide con la cabeza de la cadena")
    return Verdict(expected - 1, unsealed, previous)
