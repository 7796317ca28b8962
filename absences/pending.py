"""A document chosen on the declaration form survives a form error.

A browser never sends a chosen file again after the page comes back with an
error, so a parent who mistyped a date would lose the medical note without a
word. When the form is refused but the document itself passed the file gate
(ent/files.py: type by content, size), it is streamed to the store under
``absences/pending/<guardian id>/`` and the page carries a signed ticket for
it: "déjà joint : certificat.pdf (120 Ko) — garder / remplacer".

A pending object is in quarantine like a held file: no link to it is ever
handed out, and it is never scanned nor offered as it is. When the form is
sent, its bytes go through ``do_declare_notice`` again as if just uploaded
(checked again, stored under the notice's own key, held, then scanned by the
antivirus), and the pending copy is removed. Pending objects nobody came back
for are removed by ``do_sweep_pending`` (nightly)."""

import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences import actions
from absences.actions import AbsenceError, check_document
from ent import files, storage
from ent.errors import EntError

log = logging.getLogger(__name__)

PREFIX = "absences/pending/"
SALT = "absences.pending-document"
# A ticket older than this is not honoured; the sweep removes objects older
# than twice this (a ticket may be used up to its last second).
MAX_AGE = timedelta(hours=12)
# Bytes read back from the store spill to a temporary file past this size:
# a document is never held whole in memory.
SPOOL_BYTES = 256 * 1024


@dataclass(frozen=True)
class PendingDocument:
    key: str
    name: str
    content_type: str
    size: int
    ticket: str  # signed; what the form carries


def _owner_prefix(user) -> str:
    return f"{PREFIX}{int(user.id)}/"


def do_hold_document(user, pupil, upload) -> PendingDocument | None:
    """Keep an upload that passed the gate while the rest of the form did not.
    None when it cannot be kept (refused, or the store is down): the page then
    says plainly that the file must be chosen again."""
    try:
        checked = check_document(upload)
        key = f"{_owner_prefix(user)}{int(pupil.id)}-{uuid.uuid4().hex}{checked.extension}"
        files.put(key, upload, checked)
    except EntError as exc:
        log.info("pending document not kept: %s", exc)
        return None
    payload = {"k": key, "n": checked.filename, "t": checked.content_type, "s": checked.size, "p": int(pupil.id)}
    return PendingDocument(key, checked.filename, checked.content_type, checked.size, signing.dumps(payload, salt=SALT))


def read_ticket(user, pupil, ticket: str) -> PendingDocument | None:
    """The pending document a ticket names, if the ticket is genuine, fresh,
    and was made for this guardian and this child; None for anything else."""
    if not ticket:
        return None
    try:
        payload = signing.loads(ticket, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    try:
        key, name, content_type, size, pupil_id = (payload[k] for k in ("k", "n", "t", "s", "p"))
    except (KeyError, TypeError):
        return None
    # The signature already vouches for these; checked again so that a ticket
    # can never name another family's object, whatever made it.
    if not str(key).startswith(_owner_prefix(user)) or pupil_id != pupil.id:
        return None
    return PendingDocument(key, name, content_type, int(size), ticket)


def open_as_upload(pending: PendingDocument) -> UploadedFile | None:
    """The pending object as an upload for do_declare_notice (None if gone)."""
    response = storage.get_stream(pending.key)
    if response is None:
        return None
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        while chunk := response.read(64 * 1024):
            spool.write(chunk)
    finally:
        response.close()
        response.release_conn()
    size = spool.tell()
    spool.seek(0)
    return UploadedFile(file=spool, name=pending.name, content_type=pending.content_type, size=size)


def do_discard(pending: PendingDocument | None) -> None:
    """Remove a pending object (sent with the notice, or replaced). A store
    that fails here leaves it to the sweep."""
    if pending is None:
        return
    try:
        storage.delete(pending.key)
    except EntError:
        log.warning("could not remove pending document %s; the sweep will", pending.key)


def do_sweep_pending(now=None) -> list[str]:
    """Remove pending objects older than twice a ticket's life."""
    cutoff = (now or timezone.now()) - 2 * MAX_AGE
    removed = []
    for key in storage.list_keys(PREFIX):
        info = storage.stat(key)
        if info is None or (info.last_modified and info.last_modified > cutoff):
            continue
        storage.delete(key)
        removed.append(key)
    return removed


def do_declare_notice(user, pupil, enrollment, *, data, document=None, pending=None, keep=False):
    """actions.do_declare_notice with the file chosen now or, when the parent
    keeps it, the one attached on a previous try. The pending copy is removed
    once the notice is stored (sent with it, replaced or dropped)."""
    upload = document
    if upload is None and keep and pending is not None:
        upload = open_as_upload(pending)
        if upload is None:
            raise AbsenceError(_("The document attached earlier is no longer there: choose the file again."))
    try:
        notice = actions.do_declare_notice(user, pupil, enrollment, data=data, document=upload)
    finally:
        if upload is not None and upload is not document:
            upload.close()
    do_discard(pending)
    return notice


def keep_for_retry(user, pupil, form) -> None:
    """After a refused form: keep the file chosen this time, if it passed the
    gate, so the page shows it as attached instead of silently dropping it."""
    fresh = form.fresh_document()
    if fresh is None:
        return
    held = do_hold_document(user, pupil, fresh)
    if held is None:
        form.document_lost = True
        return
    if form.pending is not None:
        do_discard(form.pending)
    form.set_pending(held)
