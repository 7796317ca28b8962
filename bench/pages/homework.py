"""The homework diary in the load benchmark (bench/): a term of entries for every
class, and the pupil's week as a measured page."""

import datetime
import uuid

from django.urls import reverse
from django.utils import timezone

from homework.models import Done, Entry

WORK_TYPES = [Entry.WorkType.EXERCISES, Entry.WorkType.HOMEWORK, Entry.WorkType.TEST]
INSTRUCTIONS = (
    "<p>Relire la leçon du jour puis faire les exercices <strong>{n}</strong> à {m} page {p}. "
    "Soigner la présentation ; les calculs doivent être posés.</p>"
)


def bench_seed(ctx):
    """Each class, each week of the term, each of its three subjects: one piece of
    work (due two to five days later) and one lesson summary; past work ticked
    by most pupils."""
    rng = ctx.rng
    today = timezone.localdate()
    days = ctx.term(today)
    mondays = [d for d in days if d.weekday() == 0]
    if ctx.scale < 1:  # a smaller dataset keeps the weeks around today
        mondays = sorted(
            sorted(mondays, key=lambda m: abs((m - today).days))[: max(2, round(len(mondays) * ctx.scale))]
        )
    entries = []
    for klass in ctx.classes:
        subjects = ctx.subjects_by_school[klass.school_id][:3]
        teachers = ctx.teachers_by_class.get(klass.id) or [None]
        for monday in mondays:
            for k, subject in enumerate(subjects):
                given = monday + datetime.timedelta(days=k)
                author = teachers[k % len(teachers)]
                n = rng.randint(1, 20)
                entries.append(
                    Entry(
                        school_id=klass.school_id,
                        school_class=klass,
                        subject=subject,
                        author_id=author,
                        kind=Entry.Kind.WORK,
                        title=f"{subject.name} : exercices {n} à {n + 4}",
                        instructions=INSTRUCTIONS.format(n=n, m=n + 4, p=rng.randint(10, 200)),
                        work_type=rng.choice(WORK_TYPES),
                        given_on=given,
                        due_on=given + datetime.timedelta(days=rng.randint(2, 5)),
                        minutes=rng.choice([15, 20, 30, 45]),
                    )
                )
                entries.append(
                    Entry(
                        school_id=klass.school_id,
                        school_class=klass,
                        subject=subject,
                        author_id=author,
                        kind=Entry.Kind.LESSON,
                        title=f"{subject.name} : leçon du {given:%d/%m}",
                        instructions="<p>Nous avons étudié le chapitre en cours et corrigé les exercices.</p>",
                        given_on=given,
                    )
                )
    Entry.objects.bulk_create(entries, batch_size=2000)
    done = []
    for entry in entries:
        if entry.kind != Entry.Kind.WORK or entry.due_on >= today:
            continue
        for pupil_id in ctx.pupils_by_class.get(entry.school_class_id, []):
            if rng.random() < 0.6:
                done.append(Done(entry_id=entry.id, pupil_id=pupil_id))
    Done.objects.bulk_create(done, batch_size=5000)


def _week(user, ctx):
    return [("GET", reverse("homework:week"), "")]


def grow_week(user, ctx, n):
    """n more pieces of work due this week in the pupil's class."""
    klass = ctx.class_of_pupil(user.id)
    subject = ctx.subjects_by_school[klass.school_id][0]
    today = timezone.localdate()
    series = uuid.uuid4()
    Entry.objects.bulk_create(
        Entry(
            school_id=klass.school_id,
            school_class=klass,
            subject=subject,
            kind=Entry.Kind.WORK,
            title=f"Extra {i}",
            instructions="<p>Extra</p>",
            given_on=today,
            due_on=today + datetime.timedelta(days=i % 6),
            minutes=10,
            series=series,
        )
        for i in range(n)
    )


def bench_pages(Page):
    return [Page("pupil_homework_week", "pupil", 3, _week, grow_week)]
