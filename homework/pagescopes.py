"""Page-cache scopes of the homework week: "hw:<person>" for each person who
reads a pupil's diary (the pupil and their guardians). An entry written for a
class or a group bumps its pupils and their families; a tick bumps the pupil's.

The bumpers are called by the writes themselves, through
`pagecache.bump_after_commit`: homework/actions.py (every do_* that writes an
entry, an attachment or a tick) and the antivirus verdict on an attachment
(ent/files.py calls `attachments_scanned`). No signal receivers: homework's
models have no admin, and a bulk write sends no signal anyway.
"""

from ent import pagecache

SCOPE = "hw"


def week_scopes(request, *args, **kwargs):
    return [pagecache.scope(SCOPE, request.user.pk)]


def _with_guardians(pupil_ids) -> list[int]:
    from ent.directory.models import Guardianship

    pupil_ids = list(pupil_ids)
    if not pupil_ids:
        return []
    return pupil_ids + list(Guardianship.objects.filter(pupil_id__in=pupil_ids).values_list("guardian_id", flat=True))


def bump_entry(entry) -> None:
    """The families who see this entry: the class's current pupils or the
    group's members, and their guardians."""
    from ent.directory.models import Enrollment, Group

    if entry.school_class_id:
        pupils = Enrollment.objects.filter(school_class_id=entry.school_class_id, left_on__isnull=True).values_list(
            "pupil_id", flat=True
        )
    elif entry.group_id:
        pupils = Group.members.through.objects.filter(group_id=entry.group_id).values_list("user_id", flat=True)
    else:
        return
    pagecache.bump_each(SCOPE, _with_guardians(pupils))


def bump_pupil(pupil_id) -> None:
    pagecache.bump_each(SCOPE, _with_guardians([pupil_id]))


def attachments_scanned(rows) -> None:
    """An antivirus verdict changes what the week shows for these attachments."""
    from homework.models import Entry

    entry_ids = {row.entry_id for row in rows}
    for entry in Entry.objects.filter(id__in=entry_ids).only("school_class_id", "group_id"):
        bump_entry(entry)
