"""Families' absence notices: declared (with a document through the file
gate), validated or rejected by vie scolaire; a validated notice justifies the
absences it covers, recorded already or later."""

import logging
import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absences import pagescopes
from absences.actions.common import apply_reason, check_in_school_year, covers, notice_bounds, overlapping
from absences.models import AbsenceEvent, AbsenceNotice
from ent import files, pagecache, storage
from ent.directory.models import User
from ent.errors import AbsenceError, EntError
from ent.notify.api import notify

log = logging.getLogger(__name__)


def document_max_bytes() -> int:
    return files.ABSENCE_DOCUMENT.max_bytes


def check_document(upload) -> files.Checked:
    """The one file gate's check for parents' documents (type by content, size)."""
    return files.check(upload, files.ABSENCE_DOCUMENT)


def justify_from_notices(events):
    """Events recorded after a notice was validated are justified by it."""
    notices = overlapping(
        AbsenceNotice.objects.filter(state=AbsenceNotice.State.VALIDATED).select_related("reason"), events
    )
    touched = set()
    for event in events:
        notice = next((n for n in notices if covers(n, event)), None)
        if notice is not None:
            apply_reason(event, notice.reason, notice=notice, has_proof=notice.has_document)
            event.save(update_fields=["reason", "notice", "state", "settled", "updated_at"])
            touched.add(event.register_id)
    touched.discard(None)
    if touched:
        pagecache.bump_after_commit(pagescopes.bump_registers, touched)


def check_notice(pupil, enrollment, *, reason, starts_at, ends_at, start_date, end_date, exclude_id=None):
    check_in_school_year(enrollment.school_class.year, start_date, end_date)
    if reason.school_id != enrollment.school_class.school_id or not reason.is_active:
        raise AbsenceError(_("Choose a reason from the list."))
    # A standing notice of the pupil over the period, other than the one being
    # changed (no notice has id 0).
    clash = (
        AbsenceNotice.objects.covering()
        .filter(pupil_id=pupil.id, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(id=exclude_id or 0)
        .exists()
    )
    if clash:
        raise AbsenceError(
            _("A notice already covers part of this period. Change the dates, or ask the school office.")
        )


def do_declare_notice(user, pupil, enrollment, *, data: dict, document=None):
    """A guardian declares an absence. The document, if any, goes to the object
    store first; if the database then refuses the notice, the file is removed:
    no row without its file, no file without its row."""
    starts_at, ends_at = notice_bounds(
        data["start_date"],
        data["start_half_day"],
        data.get("start_time"),
        data["end_date"],
        data["end_half_day"],
        data.get("end_time"),
    )
    reason = data["reason"]

    def check():
        check_notice(
            pupil,
            enrollment,
            reason=reason,
            starts_at=starts_at,
            ends_at=ends_at,
            start_date=data["start_date"],
            end_date=data["end_date"],
        )

    doc = {}
    if document is not None:
        # Checked before the upload too: no file sent to the store for a notice
        # that will be refused.
        check()
        checked = check_document(document)
        key = f"absences/notices/{pupil.id}/{uuid.uuid4().hex}{checked.extension}"
        files.put(key, document, checked)
        doc = {
            "document_key": key,
            "document_name": checked.filename,
            "document_type": checked.content_type,
            "document_size": checked.size,
        }
    try:
        with transaction.atomic():
            # One declaration at a time per pupil, so two overlapping ones cannot both pass.
            list(User.objects.select_for_update().filter(id=pupil.id).order_by().values_list("id", flat=True))
            # Again under the lock: another declaration may have landed meanwhile.
            check()
            notice = AbsenceNotice.objects.create(
                pupil=pupil,
                school=enrollment.school_class.school,
                declared_by=user,
                start_date=data["start_date"],
                start_half_day=data["start_half_day"],
                start_time=data.get("start_time"),
                end_date=data["end_date"],
                end_half_day=data["end_half_day"],
                end_time=data.get("end_time"),
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                comment=(data.get("comment") or "")[:1000],
                # No document: nothing to hold back.
                scan=files.ScanState.HELD if doc else files.ScanState.OFFERED,
                **doc,
            )
            pagecache.bump_after_commit(pagescopes.bump_notice, notice)
            if doc:
                files.scan_after_commit(files.ABSENCE_DOCUMENT, notice)
    except BaseException:
        if doc:
            _delete_quietly(doc["document_key"])
        raise
    return notice


def _delete_quietly(key):
    try:
        storage.delete(key)
    except EntError:
        log.warning("could not remove orphan object %s", key)


def do_validate_notice(user, notice):
    """Vie scolaire accepts the notice: the absences it covers, recorded already
    or later, are justified with its reason."""
    with transaction.atomic():
        notice = AbsenceNotice.objects.select_for_update().select_related("reason", "pupil", "school").get(pk=notice.pk)
        if not notice.is_pending:
            raise AbsenceError(_("This notice has already been handled."))
        notice.state = AbsenceNotice.State.VALIDATED
        notice.treated_by, notice.treated_at = user, timezone.now()
        notice.save(update_fields=["state", "treated_by", "treated_at"])
        events = list(
            AbsenceEvent.objects.select_for_update()
            .filter(pupil_id=notice.pupil_id, starts_at__lt=notice.ends_at, ends_at__gt=notice.starts_at)
            .exclude(state=AbsenceEvent.State.JUSTIFIED)
        )
        for event in events:
            apply_reason(event, notice.reason, notice=notice, has_proof=notice.has_document)
        AbsenceEvent.objects.bulk_update(events, ["reason", "notice", "state", "settled", "updated_at"])
        pagecache.bump_after_commit(pagescopes.bump_notice, notice)
        pagecache.bump_after_commit(pagescopes.bump_registers, {e.register_id for e in events if e.register_id})
        _notify_treated(notice)
    return notice


def do_reject_notice(user, notice, *, reason_text):
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise AbsenceError(_("Say why the notice is rejected: the family will read it."))
    with transaction.atomic():
        notice = AbsenceNotice.objects.select_for_update().select_related("pupil", "school").get(pk=notice.pk)
        if not notice.is_pending:
            raise AbsenceError(_("This notice has already been handled."))
        notice.state = AbsenceNotice.State.REJECTED
        notice.reject_reason = reason_text[:1000]
        notice.treated_by, notice.treated_at = user, timezone.now()
        notice.save(update_fields=["state", "reject_reason", "treated_by", "treated_at"])
        pagecache.bump_after_commit(pagescopes.bump_notice, notice)
        _notify_treated(notice)
    return notice


def _notify_treated(notice):
    if notice.declared_by_id is None:
        return
    notify(
        [notice.declared_by_id],
        "absence.notice_treated",
        obj=notice,
        child=notice.pupil,
        context={
            "title": _("Absence notice handled"),
            "start": notice.starts_at,
            "end": notice.ends_at,
            "state": notice.state,
            "comment": notice.reject_reason,
            "child_name": notice.pupil.first_name,
            "url": reverse("absences:notice_detail", args=[notice.id]),
        },
    )
