"""Access matrix of the homework diary (see tests/security/matrix.py).

The rows are made on demand from the world: one published piece of work for
`klass` by `teacher` (with an attachment row and online hand-in), one hand-in by
`pupil`, one ready archive, one calendar address of `pupil`. The outsider family
has a child in the same class, so it sees the class's work (and gets 403 on what
only the class's pupils do) but never another pupil's hand-in or address.
"""

import datetime

from django.utils import timezone

from tests.security.matrix import Route, only

FAMILY = ["pupil", "guardian", "guardian2", "guardian_nojustify"]
SEES_CLASS_WORK = FAMILY + ["outsider_parent", "teacher", "vie_scolaire", "direction"]
DIARY_READERS = ["teacher", "vie_scolaire", "direction"]


def _entry(w):
    from homework.models import Attachment, Entry

    today = timezone.localdate()
    entry = Entry.objects.create(
        school=w.school,
        school_class=w.klass,
        subject=w.subject,
        author=w.teacher,
        kind=Entry.Kind.WORK,
        title="Exercices p. 12",
        work_type=Entry.WorkType.EXERCISES,
        given_on=today,
        due_on=today + datetime.timedelta(days=2),
        hand_in=True,
    )
    Attachment.objects.create(
        entry=entry,
        key="homework/attachments/matrix",
        filename="fiche.pdf",
        size=10,
        content_type="application/pdf",
        scan="offered",  # scanned already: this matrix is about who may open it
    )
    return entry


def _submission(w):
    from homework.models import Submission

    return Submission.objects.create(entry=_entry(w), pupil=w.pupil, link="https://example.org/travail")


def _archive(w):
    from homework.models import Archive

    return Archive.objects.create(
        school_class=w.klass, requested_by=w.direction, status=Archive.Status.READY, key="homework/archives/m", size=9
    )


def _feed(w):
    from homework.models import CalendarFeed

    return CalendarFeed.objects.create(owner=w.pupil, pupil=w.pupil)


def _read_only(status_for_writer, writers, readers=SEES_CLASS_WORK):
    """`status_for_writer` for the writers, 403 for the others who see the entry, 404 for the rest."""
    table = only(writers, status=status_for_writer)
    for persona in readers:
        if persona not in writers:
            table[persona] = 403
    return table


ROUTES = {
    "homework:week": Route(
        {
            **only(FAMILY + ["outsider_parent", "referent", "admin"], status=200, other=302),
        },
        note="families see a week; teachers and readers are sent to the class diaries; others get an explanation",
    ),
    "homework:entry_detail": Route(only(SEES_CLASS_WORK), kwargs=lambda w: {"entry_id": _entry(w).id}),
    "homework:tick": Route(
        _read_only(302, ["pupil"]),
        method="post",
        kwargs=lambda w: {"entry_id": _entry(w).id},
        data=lambda w: {"done": "1"},
    ),
    "homework:hand_in": Route(
        _read_only(302, ["pupil"]),
        method="post",
        kwargs=lambda w: {"entry_id": _entry(w).id},
        data=lambda w: {"link": "https://example.org/mon-travail"},
    ),
    "homework:entry_edit": Route(_read_only(200, ["teacher"]), kwargs=lambda w: {"entry_id": _entry(w).id}),
    "homework:entry_copy": Route(_read_only(200, ["teacher"]), kwargs=lambda w: {"entry_id": _entry(w).id}),
    "homework:entry_delete": Route(
        {**_read_only(302, ["teacher"]), "vie_scolaire": None, "direction": None, "outsider_parent": None},
        method="post",
        kwargs=lambda w: {"entry_id": _entry(w).id},
        note="the teacher deletes it before the turn of the personas after them (then 404): not checked here",
    ),
    "homework:attachment_download": Route(
        only(SEES_CLASS_WORK, status=302),
        kwargs=lambda w: {"attachment_id": _entry(w).attachments.get().id},
    ),
    "homework:submission_download": Route(
        only(["pupil", "teacher"], status=302), kwargs=lambda w: {"submission_id": _submission(w).id}
    ),
    "homework:diaries": Route(only(DIARY_READERS + ["other_teacher", "staff_b"])),
    "homework:diary": Route(only(DIARY_READERS), kwargs=lambda w: {"target": f"c{w.klass.id}"}),
    "homework:entry_create": Route(
        _read_only(200, ["teacher"], readers=DIARY_READERS), kwargs=lambda w: {"target": f"c{w.klass.id}"}
    ),
    "homework:visa": Route(
        _read_only(302, ["direction"], readers=DIARY_READERS),
        method="post",
        kwargs=lambda w: {"target": f"c{w.klass.id}"},
        data=lambda w: {"comment": "Vu"},
    ),
    "homework:archive_request": Route(
        _read_only(302, ["direction"], readers=DIARY_READERS),
        method="post",
        kwargs=lambda w: {"target": f"c{w.klass.id}"},
        note="the PDF is built by a Celery task scheduled on commit (tests/homework/test_archive.py runs it)",
    ),
    "homework:archive_download": Route(
        only(["vie_scolaire", "direction"], status=302), kwargs=lambda w: {"archive_id": _archive(w).id}
    ),
    "homework:calendar": Route(only(FAMILY + ["outsider_parent"])),
    "homework:calendar_regenerate": Route(
        only(FAMILY, status=302), method="post", data=lambda w: {"pupil": w.pupil.id}
    ),
    "homework:calendar_revoke": Route(only(FAMILY, status=302), method="post", data=lambda w: {"pupil": w.pupil.id}),
    "homework:ical_feed": Route(
        {**only([], other=200), "anonymous": 200},
        kwargs=lambda w: {"token": _feed(w).token},
        note="the secret address is the credential: calendar apps cannot log in",
    ),
}
