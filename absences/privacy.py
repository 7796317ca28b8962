"""Absences' part of a person's data export and of the retention purges (hooks
called by ent.directory.privacy; see its docstring for the contract).

Export: for the person (a pupil) and each child linked to them, the absence
events, the notices with their reasons and document names (never the stored
files' keys), and when their record was looked at by the school (what and when;
the staff member's identity is theirs, not the family's). Nothing about other
pupils is read: every query is filtered on the pupil.

Purge: absences follow their own retention rule, per territory (a record is kept
to the end of the following school year by default, see RetentionPolicy) and are
purged nightly by absences.tasks.purge_expired. The directory's 12-month log
cutoff does not apply, so this hook purges nothing rather than a second,
different rule.
"""

from absences.models import AbsenceEvent, AbsenceNotice, AuditEntry


def _iso(value):
    return value.isoformat() if value else None


def _pupil_data(pupil, user) -> dict:
    events = AbsenceEvent.objects.filter(pupil=pupil).select_related("reason", "school", "school_class")
    notices = AbsenceNotice.objects.filter(pupil=pupil).select_related("reason", "school")
    views = AuditEntry.objects.filter(pupil=pupil).select_related("school")
    return {
        "events": [
            {
                "school": e.school.name,
                "class": e.school_class.name if e.school_class_id else "",
                "date": e.date.isoformat(),
                "half_day": e.get_half_day_display(),
                "kind": e.get_kind_display(),
                "minutes": e.minutes,
                "starts_at": _iso(e.starts_at),
                "ends_at": _iso(e.ends_at),
                "state": e.get_state_display(),
                "settled": e.settled,
                "reason": e.reason.label if e.reason_id else "",
                "comment": e.comment,
            }
            for e in events.order_by("date", "starts_at", "id")
        ],
        "notices": [
            {
                "school": n.school.name,
                "from": _iso(n.starts_at),
                "to": _iso(n.ends_at),
                "reason": n.reason.label,
                "comment": n.comment,
                "document_name": n.document_name,
                "state": n.get_state_display(),
                "treated_at": _iso(n.treated_at),
                "reject_reason": n.reject_reason,
                "declared_by_you": n.declared_by_id == user.pk,
                "declared_at": _iso(n.created_at),
            }
            for n in notices.order_by("starts_at", "id")
        ],
        "record_viewed": [
            {"school": v.school.name, "what": v.get_what_display(), "at": _iso(v.viewed_at)}
            for v in views.order_by("viewed_at", "id")
        ],
    }


def export(user, children) -> dict:
    return {
        **_pupil_data(user, user),
        "children": [
            {"username": child.username, "name": child.get_full_name(), **_pupil_data(child, user)}
            for child in children
        ],
    }


def purge(cutoff, dry_run) -> int:
    """Nothing: see the module docstring (absences.tasks.purge_expired does it)."""
    return 0
