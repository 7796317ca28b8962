"""Every change of state in the homework diary.

Files go to the object store first; the rows that point at them are written in
one transaction afterwards. If the store fails nothing is written; if the
transaction fails the uploaded objects are removed again. So there is never an
entry without its attachments nor an attachment without its entry.
"""

import datetime
import logging
import uuid
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from ent import files as gate
from ent import storage
from ent.directory.models import Guardianship, User
from ent.errors import HomeworkError, StorageUnavailable
from ent.notify.api import notify
from ent.pagecache import bump_after_commit
from ent.sanitize import sanitize_html
from homework import files, pagescopes
from homework.access import Target, target_of
from homework.models import (
    Archive,
    Attachment,
    CalendarFeed,
    Done,
    Entry,
    Reminder,
    Revision,
    Submission,
    Visa,
    published_q,
)

log = logging.getLogger(__name__)

MAX_OCCURRENCES = 40
RECURRENCE_STEP = {"weekly": 7, "fortnightly": 14}
# Fields an edit may change, with the label the history shows.
TRACKED_FIELDS = {
    "kind": _("kind"),
    "subject": _("subject"),
    "title": _("title"),
    "instructions": _("instructions"),
    "work_type": _("type"),
    "given_on": _("given on"),
    "due_on": _("due on"),
    "publish_at": _("published at"),
    "minutes": _("estimated time (minutes)"),
    "hand_in": _("online hand-in"),
}


# --- Store helpers -------------------------------------------------------------------------------


def _upload_all(uploads, *, kind, surface):
    """Check every file at the gate, then stream each to the store. Returns the
    stored files' descriptions (held until the antivirus has seen them); on any
    failure removes what was already stored and raises."""
    checked = [(upload, gate.check(upload, surface, name_limit=200)) for upload in uploads]
    stored = []
    try:
        for upload, ok in checked:
            key = files.new_key(kind)
            gate.put(key, upload, ok)
            stored.append(
                {
                    "key": key,
                    "filename": ok.filename,
                    "size": ok.size,
                    "content_type": ok.content_type,
                    "scan": gate.ScanState.HELD,
                }
            )
    except Exception:
        _discard([s["key"] for s in stored])
        raise
    return stored


def _discard(keys):
    """Best-effort removal of objects no row points at; the orphan sweep catches
    whatever this misses (the store may be the thing that failed)."""
    for key in keys:
        try:
            storage.delete(key)
        except StorageUnavailable:
            log.warning("could not remove %s from the store; the orphan sweep will", key)


def _delete_unreferenced_on_commit(keys):
    def run():
        still_used = set(Attachment.objects.filter(key__in=keys).values_list("key", flat=True))
        _discard([k for k in keys if k not in still_used])

    if keys:
        transaction.on_commit(run)


def _scan_new_attachments(rows):
    """One scan per stored object: occurrences of a recurring entry share theirs,
    and the verdict is saved on every row pointing at it."""
    first_of_key = {}
    for row in rows:
        first_of_key.setdefault(row.key, row)
    for row in first_of_key.values():
        gate.scan_after_commit(gate.HOMEWORK_ATTACHMENT, row)


def _with_uploads(stored, write):
    """Run `write()` in a transaction; if it fails, remove the stored objects."""
    try:
        with transaction.atomic():
            return write()
    except Exception:
        _discard([s["key"] for s in stored])
        raise


# --- Entries -------------------------------------------------------------------------------------


def check_entry(fields):
    """Rules every entry obeys, whatever form it came from."""
    title = (fields.get("title") or "").strip()
    if not title:
        raise HomeworkError(_("Give the entry a title."))
    if fields["kind"] == Entry.Kind.WORK:
        if not fields.get("due_on"):
            raise HomeworkError(_("Work to do needs a due date."))
        if fields["due_on"] < fields["given_on"]:
            raise HomeworkError(_("The due date cannot be before the date the work is given."))
    minutes = fields.get("minutes")
    if minutes is not None and not 0 < minutes <= 600:
        raise HomeworkError(_("The estimated time must be between 1 and 600 minutes."))


def _clean_fields(fields):
    fields = dict(fields)
    fields["title"] = fields["title"].strip()
    fields["instructions"] = sanitize_html(fields.get("instructions") or "")
    if fields["kind"] == Entry.Kind.LESSON:
        # Lesson content records what was done: it has no due date nor hand-in.
        fields.update(due_on=None, work_type="", minutes=None, hand_in=False)
    elif not fields.get("work_type"):
        fields["work_type"] = Entry.WorkType.HOMEWORK
    return fields


def occurrences(given_on, recurrence, repeat_until):
    """Day offsets of a recurring entry's occurrences (the first is 0)."""
    step = RECURRENCE_STEP.get(recurrence or "")
    if not step:
        return [0]
    if repeat_until is None or repeat_until <= given_on:
        raise HomeworkError(_("A recurring entry needs an end date after its first date."))
    count = (repeat_until - given_on).days // step + 1
    if count > MAX_OCCURRENCES:
        raise HomeworkError(
            _("A recurring entry can repeat at most %(n)s times; choose an earlier end date.") % {"n": MAX_OCCURRENCES}
        )
    return [i * step for i in range(count)]


def do_create_entry(user, target: Target, fields, *, uploads=(), recurrence="", repeat_until=None) -> list[Entry]:
    """Post an entry (or each occurrence of a recurring one) for a class or group.
    Work published now is announced to the pupils and their guardians."""
    fields = _clean_fields(fields)
    check_entry(fields)
    offsets = occurrences(fields["given_on"], recurrence, repeat_until)
    if len(uploads) > files.MAX_ATTACHMENTS:
        raise HomeworkError(_("At most %(n)s attachments per entry.") % {"n": files.MAX_ATTACHMENTS})
    stored = _upload_all(uploads, kind="attachments", surface=gate.HOMEWORK_ATTACHMENT)

    def write():
        series = uuid.uuid4() if len(offsets) > 1 else None
        now = timezone.now()
        created, new_rows = [], []
        for offset in offsets:
            delta = datetime.timedelta(days=offset)
            entry = Entry(
                school=target.school,
                school_class=target.school_class,
                group=target.group,
                author=user,
                series=series,
                created_at=now,
                updated_at=now,
                **fields,
            )
            entry.given_on = fields["given_on"] + delta
            if fields.get("due_on"):
                entry.due_on = fields["due_on"] + delta
            if offset and fields.get("publish_at"):
                entry.publish_at = fields["publish_at"] + delta
            elif offset:
                # Later occurrences appear on the day they are given, so families
                # are not told about weeks of work at once.
                entry.publish_at = timezone.make_aware(datetime.datetime.combine(entry.given_on, datetime.time(7, 0)))
            entry.save()
            new_rows.extend(Attachment.objects.bulk_create(Attachment(entry=entry, **s) for s in stored))
            _announce(entry)
            created.append(entry)
        _scan_new_attachments(new_rows)
        # Every occurrence has the same class or group: the same readers.
        bump_after_commit(pagescopes.bump_entry, created[0])
        return created

    return _with_uploads(stored, write)


def _display(entry, field):
    value = getattr(entry, field)
    if field == "subject":
        return str(value) if value else ""
    if field == "instructions":
        return strip_tags(value)
    if field in ("given_on", "due_on"):
        return value.isoformat() if value else ""
    if field == "publish_at":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
    if field == "kind":
        return str(entry.get_kind_display())
    if field == "work_type":
        return str(entry.get_work_type_display()) if value else ""
    if value is None:
        return ""
    return value


def do_update_entry(user, entry: Entry, fields, *, uploads=(), remove_ids=()) -> Entry:
    """Edit an entry. Once published, every change is kept: who, when, what."""
    fields = _clean_fields(fields)
    check_entry(fields)
    kept = entry.attachments.exclude(id__in=remove_ids).count()
    if kept + len(uploads) > files.MAX_ATTACHMENTS:
        raise HomeworkError(_("At most %(n)s attachments per entry.") % {"n": files.MAX_ATTACHMENTS})
    stored = _upload_all(uploads, kind="attachments", surface=gate.HOMEWORK_ATTACHMENT)

    def write():
        locked = Entry.objects.select_for_update().get(id=entry.id)
        was_published = locked.is_published
        before = {f: _display(locked, f) for f in TRACKED_FIELDS}
        for name, value in fields.items():
            setattr(locked, name, value)
        after = {f: _display(locked, f) for f in TRACKED_FIELDS}
        changes = [
            {"field": f, "before": before[f], "after": after[f]} for f in TRACKED_FIELDS if before[f] != after[f]
        ]
        removed = list(locked.attachments.filter(id__in=remove_ids))
        if removed:
            changes.append({"field": "attachments", "before": ", ".join(a.filename for a in removed), "after": ""})
            Attachment.objects.filter(id__in=[a.id for a in removed]).delete()
            _delete_unreferenced_on_commit([a.key for a in removed])
        if stored:
            _scan_new_attachments(Attachment.objects.bulk_create(Attachment(entry=locked, **s) for s in stored))
            changes.append({"field": "attachments", "before": "", "after": ", ".join(s["filename"] for s in stored)})
        locked.updated_at = timezone.now()
        locked.save()
        if was_published and changes:
            Revision.objects.create(entry=locked, author=user, changes=changes)
        _announce(locked)
        bump_after_commit(pagescopes.bump_entry, locked)
        return locked

    return _with_uploads(stored, write)


@transaction.atomic
def do_delete_entry(user, entry: Entry) -> None:
    keys = list(entry.attachments.values_list("key", flat=True))
    keys += [k for k in entry.submissions.values_list("key", flat=True) if k]
    entry.delete()
    _delete_unreferenced_on_commit(keys)
    # Its class or group is still on the deleted instance: the readers to tell.
    bump_after_commit(pagescopes.bump_entry, entry)


def do_copy_entry(user, entry: Entry, target: Target) -> Entry:
    """The same entry for another class or group the teacher teaches; the
    attachments' stored files are shared, not duplicated."""
    with transaction.atomic():
        now = timezone.now()
        copy = Entry.objects.create(
            school=target.school,
            school_class=target.school_class,
            group=target.group,
            subject=entry.subject if entry.subject and entry.subject.school_id == target.school.id else None,
            author=user,
            kind=entry.kind,
            title=entry.title,
            instructions=entry.instructions,  # already sanitized
            work_type=entry.work_type,
            given_on=entry.given_on,
            due_on=entry.due_on,
            publish_at=entry.publish_at,
            minutes=entry.minutes,
            hand_in=entry.hand_in,
            created_at=now,
            updated_at=now,
        )
        Attachment.objects.bulk_create(
            # The copy shares the object and its antivirus state (a verdict to
            # come is saved on every row of the key: ent.files.record_verdict).
            Attachment(
                entry=copy,
                key=a.key,
                filename=a.filename,
                size=a.size,
                content_type=a.content_type,
                scan=a.scan,
                scan_signature=a.scan_signature,
                scanned_at=a.scanned_at,
            )
            for a in entry.attachments.all()
        )
        _announce(copy)
        bump_after_commit(pagescopes.bump_entry, copy)
        return copy


# --- Notifications -------------------------------------------------------------------------------


def _entry_url(entry):
    return settings.SITE_URL + reverse("homework:entry_detail", args=[entry.id])


def _announce(entry: Entry) -> bool:
    """Tell the pupils and their guardians about new work, once, when it is
    published. Called inside the writing transaction (notify records rows there)."""
    if not entry.is_work or entry.announced_at is not None or not entry.is_published:
        return False
    target = target_of(entry)
    pupils = list(User.objects.filter(id__in=target.pupil_ids(), is_active=True).only("id", "first_name"))
    context = {
        "title": entry.title,
        "subject": entry.subject.name if entry.subject else "",
        "due_date": entry.due_on,
        "class_name": target.obj.name,
        "teacher_name": entry.author.get_full_name() if entry.author else "",
        "url": _entry_url(entry),
    }
    if pupils:
        notify(pupils, "homework.published", obj=entry, context=context)
    guardians = defaultdict(list)
    for pupil_id, guardian_id in Guardianship.objects.filter(pupil_id__in=[p.id for p in pupils]).values_list(
        "pupil_id", "guardian_id"
    ):
        guardians[pupil_id].append(guardian_id)
    for pupil in pupils:
        if guardians[pupil.id]:
            notify(
                guardians[pupil.id],
                "homework.published",
                obj=entry,
                child=pupil,
                context={**context, "child_name": pupil.first_name},
            )
    entry.announced_at = timezone.now()
    Entry.objects.filter(id=entry.id).update(announced_at=entry.announced_at)
    return True


def do_announce_entry(entry_id) -> bool:
    """For scheduled entries whose publication time has come (idempotent)."""
    with transaction.atomic():
        entry = (
            Entry.objects.select_for_update(of=("self",))
            .select_related("school_class", "group", "subject", "author")
            .filter(id=entry_id)
            .first()
        )
        if entry is None:
            return False
        return _announce(entry)


def entries_to_announce():
    return Entry.objects.filter(published_q(), kind=Entry.Kind.WORK, announced_at__isnull=True).values_list(
        "id", flat=True
    )


def do_send_due_reminders(today=None) -> int:
    """Evening reminder: each pupil with work due tomorrow not ticked, and their
    guardians, get one notification. Re-running it sends nothing twice."""
    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    entries = list(
        Entry.objects.filter(published_q(), kind=Entry.Kind.WORK, due_on=tomorrow).only(
            "id", "title", "school_class_id", "group_id"
        )
    )
    if not entries:
        return 0
    from ent.directory.models import Enrollment, Group

    class_ids = {e.school_class_id for e in entries if e.school_class_id}
    group_ids = {e.group_id for e in entries if e.group_id}
    todo = defaultdict(list)  # pupil id -> entries
    by_class = defaultdict(list)
    for e in entries:
        by_class[("c", e.school_class_id) if e.school_class_id else ("g", e.group_id)].append(e)
    for pupil_id, class_id in (
        Enrollment.objects.current().filter(school_class_id__in=class_ids).values_list("pupil_id", "school_class_id")
    ):
        todo[pupil_id] += by_class[("c", class_id)]
    for pupil_id, group_id in Group.members.through.objects.filter(group_id__in=group_ids).values_list(
        "user_id", "group_id"
    ):
        todo[pupil_id] += by_class[("g", group_id)]
    done = set(Done.objects.filter(entry__in=entries).values_list("pupil_id", "entry_id"))
    already = set(Reminder.objects.filter(due_on=tomorrow, pupil_id__in=todo).values_list("pupil_id", flat=True))
    guardians = defaultdict(list)
    for pupil_id, guardian_id in Guardianship.objects.filter(pupil_id__in=todo).values_list("pupil_id", "guardian_id"):
        guardians[pupil_id].append(guardian_id)
    names = dict(User.objects.filter(id__in=todo).values_list("id", "first_name"))
    url = settings.SITE_URL + reverse("homework:week")
    sent = 0
    for pupil_id, pupil_entries in todo.items():
        left = [e for e in pupil_entries if (pupil_id, e.id) not in done]
        if not left or pupil_id in already:
            continue
        context = {"count": len(left), "titles": [e.title for e in left], "due_date": tomorrow, "url": url}
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Reminder.objects.create(pupil_id=pupil_id, due_on=tomorrow)
            except IntegrityError:
                continue  # another run got there first
            notify([pupil_id], "homework.due_tomorrow", context=context)
            if guardians[pupil_id]:
                notify(
                    guardians[pupil_id],
                    "homework.due_tomorrow",
                    child=pupil_id,
                    context={**context, "child_name": names.get(pupil_id, "")},
                )
        sent += 1
    return sent


# --- Pupils: ticks and hand-ins --------------------------------------------------------------------


@transaction.atomic
def do_tick(pupil, entry: Entry, done: bool) -> bool:
    if done:
        Done.objects.get_or_create(entry=entry, pupil=pupil)
    else:
        Done.objects.filter(entry=entry, pupil=pupil).delete()
    bump_after_commit(pagescopes.bump_pupil, pupil.id)
    return done


def do_hand_in(pupil, entry: Entry, *, upload=None, link="") -> Submission:
    """A pupil hands in a file or a link. Late hand-ins are accepted and flagged;
    a hand-in can be replaced until the due date, not after."""
    if not entry.hand_in:
        raise HomeworkError(_("This work is not handed in online."))
    if (upload is None) == (not link):
        raise HomeworkError(_("Hand in either a file or a link."))
    existing = Submission.objects.filter(entry=entry, pupil=pupil).first()
    on_time = entry.hand_in_open
    if existing and not on_time:
        raise HomeworkError(_("The due date has passed: your hand-in can no longer be replaced."))
    stored = _upload_all([upload], kind="submissions", surface=gate.HOMEWORK_SUBMISSION) if upload else []

    def write():
        old_key = existing.key if existing else ""
        # A link has nothing to scan: it is offered as it is.
        values = {
            "key": "",
            "filename": "",
            "size": 0,
            "content_type": "",
            "link": link,
            "scan": gate.ScanState.OFFERED,
        }
        values.update(scan_signature="", scanned_at=None)
        if stored:
            values.update(stored[0], link="")
        submission, _created = Submission.objects.update_or_create(
            entry=entry,
            pupil=pupil,
            defaults={**values, "submitted_at": timezone.now(), "is_late": not on_time},
        )
        if old_key and old_key != submission.key:
            transaction.on_commit(lambda: _discard([old_key]))
        if stored:
            gate.scan_after_commit(gate.HOMEWORK_SUBMISSION, submission)
        return submission

    return _with_uploads(stored, write)


# --- Direction: visas and archives -----------------------------------------------------------------


@transaction.atomic
def do_put_visa(user, target: Target, comment="") -> Visa:
    return Visa.objects.create(
        school_class=target.school_class, group=target.group, signed_by=user, comment=(comment or "").strip()[:500]
    )


def do_request_archive(user, target: Target) -> Archive:
    if target.school_class is None:
        raise HomeworkError(_("Archives are made for classes."))
    with transaction.atomic():
        archive = Archive.objects.create(school_class=target.school_class, requested_by=user)
        from homework import tasks

        transaction.on_commit(lambda: tasks.build_archive.delay(archive.id))
    return archive


def do_build_archive(archive_id) -> Archive | None:
    """Build the PDF of a class's diary for the year and store it (idempotent)."""
    import tempfile

    from homework.pdf import write_class_diary

    archive = Archive.objects.select_related("school_class__school", "school_class__year").filter(id=archive_id).first()
    if archive is None or archive.status == Archive.Status.READY:
        return archive
    klass = archive.school_class
    entries = (
        Entry.objects.filter(school_class=klass, given_on__gte=klass.year.starts_on, given_on__lte=klass.year.ends_on)
        .select_related("subject", "author")
        .prefetch_related("attachments")
        .order_by("given_on", "id")
    )
    visas = list(Visa.objects.filter(school_class=klass).select_related("signed_by"))
    key = files.new_key("archives")
    # The PDF is written to a temporary file (on disk past 1 MB), then streamed.
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as out:
        write_class_diary(out, klass, entries, visas)
        size = out.tell()
        out.seek(0)
        storage.put_stream(key, out, size, content_type="application/pdf")
    try:
        with transaction.atomic():
            Archive.objects.filter(id=archive.id).update(
                status=Archive.Status.READY, key=key, size=size, finished_at=timezone.now()
            )
    except Exception:
        _discard([key])
        raise
    archive.refresh_from_db()
    return archive


# --- Calendar feeds ------------------------------------------------------------------------------


@transaction.atomic
def do_regenerate_feed(owner, pupil, kind=CalendarFeed.Kind.HOMEWORK) -> CalendarFeed:
    """A new secret address; the old one (of the same kind) stops working at once."""
    live = CalendarFeed.objects.filter(owner=owner, pupil=pupil, kind=kind, revoked_at__isnull=True)
    live.update(revoked_at=timezone.now())
    return CalendarFeed.objects.create(owner=owner, pupil=pupil, kind=kind)


@transaction.atomic
def do_revoke_feed(owner, pupil, kind=CalendarFeed.Kind.HOMEWORK) -> int:
    return CalendarFeed.objects.filter(owner=owner, pupil=pupil, kind=kind, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# --- Maintenance ---------------------------------------------------------------------------------


def do_sweep_orphans(*, grace=datetime.timedelta(hours=1)) -> list[str]:
    """Remove stored objects under homework/ that no row points at. Objects newer
    than `grace` are left alone: their row may be being written right now."""
    removed = []
    cutoff = timezone.now() - grace
    for key in storage.list_keys(files.KEY_PREFIX):
        referenced = (
            Attachment.objects.filter(key=key).exists()
            or Submission.objects.filter(key=key).exists()
            or Archive.objects.filter(key=key).exists()
        )
        if referenced:
            continue
        info = storage.stat(key)
        if info is None or (info.last_modified and info.last_modified > cutoff):
            continue
        storage.delete(key)
        removed.append(key)
    return removed
