"""Every change of the timetable: an import applied, a one-off change
recorded or withdrawn. Audited like the directory's imports (AuditEntry),
and each bumps the school's pages that show lessons."""

import logging
import secrets
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent import dates, files, pagecache
from ent.directory.models import AuditEntry, School
from ent.errors import FileRefused, TimetableError
from ent.notify.api import notify
from ent.timetable import imports, pagescopes
from ent.timetable.lessons import lessons
from ent.timetable.models import Change, RegisterReminder, Slot, Week

log = logging.getLogger(__name__)


def check_upload(upload) -> bytes:
    """The one file gate (ent/files.py) for a timetable file, before anything
    parses it: text by its bytes (CSV or XML), the surface's size, then clamd.
    Returns the file's bytes; raises FileRefused saying why (a threat found,
    a spreadsheet, a program, too large) or TimetableError when the antivirus
    cannot answer (nothing unscanned is ever read)."""
    checked = files.check(upload, files.TIMETABLE_IMPORT)
    upload.seek(0)
    try:
        clean, signature = files.scan_stream(upload)
    except files.ScannerUnavailable as exc:
        log.warning("timetable upload not scanned: %s", exc)
        raise TimetableError(
            _("The antivirus cannot check the file right now: nothing was read. Try again in a few minutes.")
        ) from exc
    if not clean:
        log.warning("timetable upload refused: %s found in %r", signature, checked.filename)
        raise FileRefused(
            _("The antivirus found a threat in “%(name)s”: the file is refused and nothing was read from it.")
            % {"name": checked.filename}
        )
    upload.seek(0)
    return upload.read()


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
        soon = (day - timezone.localdate()).days in (0, 1)
        if kind in ANNOUNCED and soon:
            # One notification per pupil is too slow for a request (a class is
            # 30 pupils and their families): a task does it once committed.
            from ent.timetable import tasks  # tasks call these actions

            transaction.on_commit(lambda: tasks.announce_change.delay(change.pk))
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


def check_week_monday(year, monday) -> None:
    """A/B kinds are typed on the Mondays of the year (the weeks lessons.week_kind reads)."""
    if monday.weekday() != 0:
        raise TimetableError(_("A week A or B starts on a Monday: %(day)s is not one.") % {"day": dates.day(monday)})
    first = year.starts_on - timedelta(days=year.starts_on.weekday())
    if not (first <= monday <= year.ends_on):
        raise TimetableError(
            _("%(day)s is not in the school year %(year)s.") % {"day": dates.day(monday), "year": year.name}
        )


def do_set_week_kind(user, school, year, monday, kind) -> None:
    """Type the kind ("A" or "B") of the week starting on `monday`, or clear it
    ("": the week follows the alternation from the nearest earlier typed week)."""
    check_week_monday(year, monday)
    if kind not in ("", "A", "B"):
        raise TimetableError(_("A week is A or B."))
    with transaction.atomic():
        if kind:
            Week.objects.update_or_create(year=year, monday=monday, defaults={"kind": kind})
        else:
            Week.objects.filter(year=year, monday=monday).delete()
        AuditEntry.objects.create(
            actor=user,
            school=school,
            action="timetable.week",
            details={"year": year.pk, "monday": monday.isoformat(), "kind": kind},
        )
        # Which slots a week holds follows its kind: every week page after it may change.
        pagecache.bump_after_commit(pagescopes.bump_school, school.pk)


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


REMINDER_AFTER = timedelta(minutes=15)


def do_remind_registers(now=None) -> int:
    """Remind the teachers of today's lessons that started 15 minutes ago or
    more, are not over, and whose register is not taken: once per lesson
    (RegisterReminder's unique key), however often it runs. Returns how many
    reminders went out."""
    from absences.models import Register  # absences reads the timetable: see _register_taken

    now = now or timezone.localtime()
    today = now.date()
    schools = School.objects.filter(
        timetable_slots__year__is_current=True, timetable_slots__weekday=today.weekday()
    ).distinct()
    sent = 0
    for school in schools:
        due = [
            x
            for x in lessons(today, today, school=school)
            if not x.cancelled and x.teachers and x.start + REMINDER_AFTER <= now < x.end
        ]
        if not due:
            continue
        taken = {
            (r.school_class_id, r.group_id, r.starts_at)
            for r in Register.objects.filter(school=school, date=today, state=Register.State.DONE)
        }
        reminded = set(
            RegisterReminder.objects.filter(lesson_key__in=[x.key for x in due]).values_list("lesson_key", flat=True)
        )
        for lesson in due:
            target = (getattr(lesson.school_class, "pk", None), getattr(lesson.group, "pk", None), lesson.starts_at)
            if target in taken or lesson.key in reminded:
                continue
            with transaction.atomic():
                _row, created = RegisterReminder.objects.get_or_create(
                    lesson_key=lesson.key, defaults={"teacher": lesson.teachers[0], "school": school}
                )
                if not created:
                    continue
                notify(
                    list(lesson.teachers),
                    "timetable.register_reminder",
                    context={"title": lesson.title, "starts_at": dates.clock(lesson.starts_at), "url": reverse("home")},
                )
            sent += 1
    return sent


ANNOUNCED = (Change.Kind.CANCELLED, Change.Kind.MOVED, Change.Kind.TEACHER_ABSENT)


def announce_change(change_id) -> int:
    """Tell the pupils and their families that a lesson of today or tomorrow
    is cancelled or moved (through ent/notify: each person's preferences,
    per-child muting and quiet hours apply). Run by a task after the change
    is committed; idempotent: the change's row is locked and a pupil already
    told about it (a notification about this change for this child) is not
    told again, so a retried or redelivered task sends nothing twice. Returns
    how many pupils were told this time."""
    with transaction.atomic():
        return _announce(change_id)


def _announce(change_id) -> int:
    from ent.directory.models import Enrollment, Guardianship
    from ent.notify.models import Notification

    change = (
        Change.objects.select_for_update(of=("self",))
        .select_related("slot__school_class", "slot__group", "slot__subject")
        .filter(pk=change_id)
        .first()
    )
    if change is None or change.slot is None:
        return 0
    slot = change.slot
    if slot.school_class_id:
        pupil_ids = list(
            Enrollment.objects.current().filter(school_class_id=slot.school_class_id).values_list("pupil_id", flat=True)
        )
    else:
        pupil_ids = list(slot.group.members.values_list("id", flat=True))
    guardians = {}
    for pupil_id, guardian_id in Guardianship.objects.filter(pupil_id__in=pupil_ids).values_list(
        "pupil_id", "guardian_id"
    ):
        guardians.setdefault(pupil_id, []).append(guardian_id)
    # Those already told about this change (by the recipients, which the
    # notifications' index covers).
    told = set(
        Notification.objects.filter(
            recipient_id__in={*pupil_ids, *(g for ids in guardians.values() for g in ids)},
            kind="timetable.lesson_changed",
            content_type=ContentType.objects.get_for_model(Change),
            object_id=change.pk,
        ).values_list("child_id", flat=True)
    )
    pupil_ids = [p for p in pupil_ids if p not in told]
    if not pupil_ids:
        return 0
    [lesson] = [
        x
        for x in lessons(change.date, change.date, school_class=slot.school_class, group=slot.group)
        if x.slot_id == slot.pk
    ] or [None]
    what = " · ".join(str(n) for n in lesson.notes) if lesson is not None else str(change.get_kind_display())
    title = f"{dates.clock(slot.starts_at)} {lesson.title if lesson else slot.target.name}"
    for pupil_id in pupil_ids:
        url = reverse("timetable:pupil", args=[pupil_id]) + f"?semaine={change.date.isoformat()}"
        notify(
            [pupil_id, *guardians.get(pupil_id, [])],
            "timetable.lesson_changed",
            obj=change,
            child=pupil_id,
            context={"title": title, "date": dates.day(change.date), "what": what, "url": url},
        )
    return len(pupil_ids)
