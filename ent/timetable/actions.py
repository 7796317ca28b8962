"""Every change of the timetable: an import applied, a one-off change
recorded or withdrawn. Audited like the directory's imports (AuditEntry),
and each bumps the school's pages that show lessons."""

import secrets

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent import pagecache
from ent.directory.models import AuditEntry
from ent.errors import TimetableError
from ent.timetable import imports, pagescopes
from ent.timetable.lessons import lessons
from ent.timetable.models import Change, Slot


def check_import(data: bytes, school, year) -> imports.Plan:
    """The dry run: what applying this file would do, and every issue by
    line and field. Writes nothing."""
    parsed = imports.parse(data)
    result = imports.plan(parsed, school, year)
    existing = {
        s.external_id: s for s in Slot.objects.filter(year=year).exclude(external_id="").prefetch_related("teachers")
    }
    keys = set()
    for planned in result.slots:
        keys.add(planned.key)
        slot = existing.get(planned.key)
        if slot is None:
            result.created += 1
        elif _differs(slot, planned):
            result.updated += 1
        else:
            result.unchanged += 1
    result.removed = len(set(existing) - keys)
    result.format = parsed.format
    return result


def _differs(slot, planned):
    if any(getattr(slot, name) != value for name, value in planned.fields.items()):
        return True
    return sorted(t.pk for t in slot.teachers.all()) != planned.teacher_ids


def do_import_timetable(user, school, year, data: bytes) -> imports.Plan:
    """Apply a timetable file: the file is the whole weekly timetable of the
    year, so imported slots it no longer lists are removed (with their
    changes); slots typed in the ENT by hand (no import key) stay. Applying
    the same file twice changes nothing. Refused as a whole if the dry run
    finds any issue."""
    result = check_import(data, school, year)
    if not result.ok:
        raise TimetableError(_("The file has errors: nothing was imported. Fix them and upload it again."))
    with transaction.atomic():
        existing = {
            s.external_id: s
            for s in Slot.objects.select_for_update()
            .filter(year=year)
            .exclude(external_id="")
            .prefetch_related("teachers")
        }
        keys = {p.key for p in result.slots}
        for planned in result.slots:
            slot = existing.get(planned.key)
            if slot is None:
                slot = Slot.objects.create(school=school, year=year, external_id=planned.key, **planned.fields)
                slot.teachers.set(planned.teacher_ids)
            elif _differs(slot, planned):
                for name, value in planned.fields.items():
                    setattr(slot, name, value)
                slot.save(update_fields=list(planned.fields))
                slot.teachers.set(planned.teacher_ids)
        gone = [s.pk for key, s in existing.items() if key not in keys]
        if gone:
            Slot.objects.filter(pk__in=gone).delete()
        AuditEntry.objects.create(
            actor=user,
            school=school,
            action="timetable.import",
            details={
                "format": result.format,
                "created": result.created,
                "updated": result.updated,
                "removed": result.removed,
                "unchanged": result.unchanged,
            },
        )
        pagecache.bump_after_commit(pagescopes.bump_school, school.pk)
    return result


def _register_taken(lesson) -> bool:
    # absences reads the timetable (Register.slot): importing it at module
    # level here would close an import cycle.
    from absences.models import Register

    lookup = {"school_class_id": lesson.school_class.pk} if lesson.school_class else {"group_id": lesson.group.pk}
    return Register.objects.filter(
        **lookup, date=lesson.date, starts_at=lesson.starts_at, state=Register.State.DONE
    ).exists()


def do_record_change(user, school, *, kind, slot=None, day, **fields) -> Change:
    """Record a one-off change. A lesson that is not held that day (a
    holiday, another week) cannot be changed; a lesson whose register is
    already taken cannot be cancelled, moved or lose its teacher."""
    if kind != Change.Kind.EXTRA:
        if slot is None or slot.school_id != school.pk:
            raise TimetableError(_("Choose one of the school's lessons."))
        held = [x for x in lessons(day, day, school_class=slot.school_class, group=slot.group) if x.slot_id == slot.pk]
        if not held:
            raise TimetableError(_("This lesson is not held on that day (holidays, a closed day or the other week)."))
        cancels = kind in (Change.Kind.CANCELLED, Change.Kind.MOVED, Change.Kind.TEACHER_ABSENT)
        if cancels and _register_taken(held[0]):
            raise TimetableError(_("The register of this lesson is already taken: it cannot be cancelled or moved."))
    if kind in (Change.Kind.MOVED, Change.Kind.EXTRA):
        starts, ends = fields.get("starts_at"), fields.get("ends_at")
        if kind == Change.Kind.MOVED and not fields.get("new_date"):
            raise TimetableError(_("Give the new date of the lesson."))
        if starts is None or ends is None or ends <= starts:
            raise TimetableError(_("Give a start and an end after it."))
    if kind == Change.Kind.REPLACEMENT and fields.get("teacher") is None:
        raise TimetableError(_("Choose the replacement teacher."))
    if kind == Change.Kind.ROOM and not fields.get("room"):
        raise TimetableError(_("Give the new room."))
    if kind == Change.Kind.EXTRA and not (fields.get("school_class") or fields.get("group")):
        raise TimetableError(_("Choose the class or group of the extra lesson."))
    with transaction.atomic():
        change = Change.objects.create(
            school=school, kind=kind, slot=slot, date=day, created_by=user, created_at=timezone.now(), **fields
        )
        AuditEntry.objects.create(
            actor=user,
            school=school,
            action="timetable.change",
            details={"change": change.pk, "kind": kind, "slot": slot.pk if slot else None, "date": day.isoformat()},
        )
        pagecache.bump_after_commit(pagescopes.bump_school, school.pk)
    return change


def do_withdraw_change(user, change) -> None:
    with transaction.atomic():
        AuditEntry.objects.create(
            actor=user,
            school=change.school,
            action="timetable.change_withdrawn",
            details={"change": change.pk, "kind": change.kind, "date": change.date.isoformat()},
        )
        change.delete()
        pagecache.bump_after_commit(pagescopes.bump_school, change.school_id)


STASH_PREFIX = "timetable:upload:"
STASH_SECONDS = 30 * 60


def do_stash_upload(school, data: bytes) -> str:
    """Keep an uploaded file between its preview and "apply" (30 minutes):
    the office applies exactly what it previewed, without sending it again."""
    token = secrets.token_urlsafe(24)
    cache.set(STASH_PREFIX + token, (school.pk, data), STASH_SECONDS)
    return token


def stashed_upload(school, token) -> bytes | None:
    found = cache.get(STASH_PREFIX + str(token)[:64])
    if found is None or found[0] != school.pk:
        return None
    return found[1]


def do_forget_upload(token) -> None:
    cache.delete(STASH_PREFIX + str(token)[:64])
