"""Places where a person types text that others will see, for the XSS suite.

Each surface stores every payload through the product's own write path and
returns the (viewer, path) pairs of the pages that show them. A new feature
that shows user text adds its surface here."""

from django.urls import reverse

from tests.factories import link_guardian, make_pupil


def directory_names(world, payloads):
    """Names as they arrive from a school's CSV export (first and last name)."""
    pupils = []
    for i, payload in enumerate(payloads):
        pupils.append(make_pupil(world.klass, f"xss{i}", first_name=payload[:150], last_name=payload[-150:]))
    link_guardian(world.guardian, pupils[0])
    return [
        (world.teacher, reverse("class_detail", args=[world.klass.id])),
        (world.teacher, reverse("pupil_detail", args=[pupils[0].id])),
        (world.guardian, reverse("home")),
    ]


def csv_import_names(world, payloads):
    """Pupil and guardian names as they arrive through the real CSV import (a
    SIECLE export of the school, previewed then applied). Needs the S3 server:
    the test asks for the `s3` fixture for this surface."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from ent import files
    from ent.directory.imports import jobs
    from ent.directory.models import ImportJob, User

    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(
        [
            "NOM DE FAMILLE",
            "PRENOM 1",
            "DATE NAISS",
            "ID NATIONAL",
            "DIVISION",
            "MEF",
            "NOM REPRESENTANT LEGAL 1",
            "PRENOM REPRESENTANT LEGAL 1",
            "LIEN REPRESENTANT LEGAL 1",
        ]
    )
    for i, payload in enumerate(payloads):
        name = payload.replace("\n", " ")[:100]
        writer.writerow(
            [
                name,
                name,
                "14/02/2014",
                f"{700000000 + i:09d}X{chr(65 + i % 26)}"[-11:],
                world.klass.name,
                "6EME",
                name,
                name,
                "MERE",
            ]
        )
    upload = SimpleUploadedFile("siecle.csv", out.getvalue().encode("utf-8"), content_type="text/csv")
    job = jobs.do_start_import(
        world.school, by=world.direction, upload=upload, kind=ImportJob.Kind.PUPILS, scope=ImportJob.Scope.CLASSES
    )
    job.refresh_from_db()
    if job.scan == files.ScanState.HELD:
        # No clamd in this run: what is tested is the names, not the antivirus
        # (tests/imports/test_file_gate.py scans imports with a real clamd).
        files.record_verdict(files.CSV_IMPORT, job.pk, clean=True)
        job.refresh_from_db()
    assert job.can_apply, f"the import preview refused the file: {job.status}"
    jobs.do_request_apply(job, by=world.direction)
    imported = User.objects.filter(external_id__startswith="7000").order_by("id")
    assert imported.count() >= len(payloads) // 2, "the import created too few pupils"
    first = imported.first()
    return [
        (world.direction, reverse("class_detail", args=[world.klass.id])),
        (world.direction, reverse("pupil_detail", args=[first.id])),
        (world.teacher, reverse("class_detail", args=[world.klass.id])),
    ]


def homework_entries(world, payloads):
    """A teacher's homework: title and rich-text instructions, seen by pupils,
    parents (diary and notification feed) and colleagues."""
    import datetime

    from django.utils import timezone

    from homework.access import access_target
    from homework.actions import do_create_entry
    from homework.models import Entry

    today = timezone.localdate()
    target = access_target(world.teacher, f"c{world.klass.id}", for_write=True)
    entries = []
    for payload in payloads:
        entries += do_create_entry(
            world.teacher,
            target,
            {
                "kind": Entry.Kind.WORK,
                "title": payload[:200],
                "instructions": payload,
                "subject": world.subject,
                "given_on": today,
                "due_on": today + datetime.timedelta(days=1),
                "minutes": 10,
            },
        )
    pages = [
        (world.pupil, reverse("homework:week")),
        (world.guardian, reverse("homework:week")),
        (world.teacher, reverse("homework:diary", args=[target.slug])),
        (world.direction, reverse("homework:diary", args=[target.slug])),
    ]
    pages += [(world.pupil, reverse("homework:entry_detail", args=[e.id])) for e in entries[:40]]
    feed = _url_or_none("notify:feed")
    if feed:
        pages.append((world.guardian, feed))
    return pages


def absence_notices(world, payloads):
    """A guardian's comment on an absence notice (read by the school office) and
    the office's rejection reason (read by the family)."""
    import datetime

    from absences import actions
    from absences.access import current_enrollment
    from absences.models import HalfDay, Reason

    reason = Reason.objects.create(school=world.school, label="Raison familiale")
    enrollment = current_enrollment(world.pupil.id)
    first = datetime.date(2026, 9, 1)
    notices = []
    for i, payload in enumerate(payloads):
        day = first + datetime.timedelta(days=i // 2)
        half = HalfDay.MORNING if i % 2 == 0 else HalfDay.AFTERNOON
        data = {
            "start_date": day,
            "start_half_day": half,
            "end_date": day,
            "end_half_day": half,
            "reason": reason,
            "comment": payload,
        }
        notice = actions.do_declare_notice(world.guardian, world.pupil, enrollment, data=data)
        if i % 2:
            actions.do_reject_notice(world.vie_scolaire, notice, reason_text=payload)
        notices.append(notice)
    pages = [
        (world.vie_scolaire, reverse("absences:dashboard", args=[world.school.id])),
        (world.vie_scolaire, reverse("absences:pupil_file", args=[world.pupil.id])),
        (world.guardian, reverse("absences:pupil_file", args=[world.pupil.id])),
    ]
    for notice in notices[:30]:
        pages.append((world.vie_scolaire, reverse("absences:notice_detail", args=[notice.id])))
        pages.append((world.guardian, reverse("absences:notice_detail", args=[notice.id])))
    return pages


def messages(world, payloads):
    """Conversation subjects and messages (plain text, and rich text through the
    sanitizer), between a parent and a teacher."""
    from messaging import actions

    conversations = []
    for i, payload in enumerate(payloads):
        if i % 4 == 0:
            conversations.append(
                actions.do_start_conversation(world.guardian, [world.teacher.pk], payload[:150], payload)
            )
        else:
            try:
                actions.do_send_message(world.teacher, conversations[-1], payload, rich=bool(i % 2))
            except actions.InvalidMessage:
                # Sanitized to nothing (a bare <script>): refused as empty. Send it as text.
                actions.do_send_message(world.teacher, conversations[-1], payload, rich=False)
    pages = [(world.teacher, reverse("messaging:inbox")), (world.guardian, reverse("messaging:inbox"))]
    for conversation in conversations[:30]:
        pages.append((world.guardian, reverse("messaging:conversation", args=[conversation.pk])))
    pages.append((world.teacher, reverse("messaging:conversation", args=[conversations[1].pk])))
    return pages


def announcements(world, payloads):
    """Announcements from the school to a class's families."""
    from messaging import actions
    from messaging.models import Announcement

    sent = [
        actions.do_send_announcement(
            world.direction,
            title=payload[:150],
            body=payload,
            audience=Announcement.Audience.CLASS,
            target=world.klass,
            requires_confirmation=True,
        )
        for payload in payloads
    ]
    pages = [
        (world.guardian, reverse("messaging:announcements")),
        (world.direction, reverse("messaging:announcements")),
    ]
    pages += [(world.guardian, reverse("messaging:announcement", args=[a.pk])) for a in sent[:30]]
    pages.append((world.direction, reverse("messaging:announcement", args=[sent[0].pk])))
    return pages


def resources(world, payloads):
    """Resource titles, descriptions, levels and licences, proposed by a teacher,
    approved and assigned to a class."""
    from media import actions
    from media.models import Item

    items = []
    for i, payload in enumerate(payloads):
        url = "javascript:xss()" if i == 0 else f"https://example.org/ressource/{i}"
        item = actions.do_propose_item(
            world.teacher,
            world.school,
            {
                "kind": Item.Kind.LINK,
                "title": payload[:200],
                "description": payload,
                "url": url,
                "levels": payload[:200],
                "licence": payload[:200],
            },
        )
        actions.do_approve(world.referent, item, None)
        actions.do_assign(world.referent, item, [world.klass], [])
        items.append(item)
    pages = [
        (world.pupil, reverse("media:mine")),
        (world.guardian, reverse("media:mine")),
        (world.referent, reverse("media:catalogue")),
    ]
    pages += [(world.pupil, reverse("media:item", args=[item.pk])) for item in items[:30]]
    pages.append((world.referent, reverse("media:item", args=[items[0].pk])))
    return pages


def _url_or_none(name, *args):
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


SURFACES = {
    "directory_names": directory_names,
    "csv_import_names": csv_import_names,
    "homework_entries": homework_entries,
    "absence_notices": absence_notices,
    "messages": messages,
    "announcements": announcements,
    "resources": resources,
}
