"""Page-cache scopes of the homework week: "hw:<person>" for each person who
reads a pupil's diary (the pupil and their guardians). An entry written for a
class or a group bumps its pupils and their families; a tick bumps the pupil's."""

from django.db.models.signals import post_delete, post_save

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


def _entry_changed(sender, instance, **kwargs):
    bump_entry(instance)


def _attachment_changed(sender, instance, origin=None, **kwargs):
    from homework.models import Entry

    if pagecache.cascaded(sender, origin):
        return  # the entry's own receiver bumped its readers
    entry = Entry.objects.filter(id=instance.entry_id).only("school_class_id", "group_id").first()
    if entry is not None:
        bump_entry(entry)


def _done_changed(sender, instance, origin=None, **kwargs):
    if not pagecache.cascaded(sender, origin):
        bump_pupil(instance.pupil_id)


def connect():
    from homework.models import Attachment, Done, Entry

    for model, receiver in ((Entry, _entry_changed), (Attachment, _attachment_changed), (Done, _done_changed)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
