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


def _url_or_none(name, *args):
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


SURFACES = {
    "directory_names": directory_names,
    "homework_entries": homework_entries,
    "absence_notices": absence_notices,
}
