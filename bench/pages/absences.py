"""Absences in the load benchmark (bench/): a term of registers, absences and
notices, and three measured requests: a teacher's register page, its
submission, and a parent's absence notice."""

import datetime
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from absences import actions
from absences.demo import ensure_reasons
from absences.models import AbsenceEvent, AbsenceNotice, HalfDay, Register
from ent.directory.models import Enrollment
from ent.schoolcalendar import MAX_DAYS_CHECKED, closed_days

NOTICE_COMMENT = "bench load"  # marks the notices the load run posts, removed before the next run


def bench_seed(ctx):
    """Past school days of the term: both half-day registers of every class, taken;
    about 4 % of pupils absent or late on each; a third of the absences covered by
    a validated notice."""
    rng = ctx.rng
    today = timezone.localdate()
    days = [d for d in ctx.term(today) if d < today]
    days = days[-max(1, round(len(days) * min(ctx.scale * 4, 1))) :]
    reasons = {s.id: list(ensure_reasons(s).values()) for s in ctx.schools}
    registers = []
    for klass in ctx.classes:
        teachers = ctx.teachers_by_class.get(klass.id) or [None]
        for day in days:
            for half_day, (start, end) in actions.PRIMARY_HOURS.items():
                registers.append(
                    Register(
                        school_id=klass.school_id,
                        school_class=klass,
                        date=day,
                        half_day=half_day,
                        starts_at=start,
                        ends_at=end,
                        state=Register.State.DONE,
                        opened_by_id=teachers[0],
                        taken_by_id=teachers[0],
                        done_at=actions.aware(day, end),
                    )
                )
    Register.objects.bulk_create(registers, batch_size=2000)
    events, notices = [], []
    for register in registers:
        for pupil_id in ctx.pupils_by_class.get(register.school_class_id, []):
            if rng.random() >= 0.04:
                continue
            start = actions.aware(register.date, register.starts_at)
            end = actions.aware(register.date, register.ends_at)
            late = rng.random() < 0.25
            reason = rng.choice(reasons[register.school_id])
            justified = not late and rng.random() < 0.5
            events.append(
                AbsenceEvent(
                    pupil_id=pupil_id,
                    school_id=register.school_id,
                    school_class_id=register.school_class_id,
                    register=register,
                    kind=AbsenceEvent.Kind.LATE if late else AbsenceEvent.Kind.ABSENCE,
                    minutes=rng.choice([5, 10, 20]) if late else None,
                    date=register.date,
                    half_day=register.half_day,
                    starts_at=start,
                    ends_at=end,
                    state=AbsenceEvent.State.JUSTIFIED if justified else AbsenceEvent.State.UNEXPLAINED,
                    reason=reason if justified else None,
                    settled=justified,
                    recorded_by_id=register.taken_by_id,
                )
            )
            if justified and rng.random() < 0.66:
                guardians = ctx.guardians_by_pupil.get(pupil_id) or [None]
                notices.append(
                    AbsenceNotice(
                        pupil_id=pupil_id,
                        school_id=register.school_id,
                        declared_by_id=guardians[0],
                        start_date=register.date,
                        start_half_day=register.half_day,
                        end_date=register.date,
                        end_half_day=register.half_day,
                        starts_at=start,
                        ends_at=end,
                        reason=reason,
                        state=AbsenceNotice.State.VALIDATED,
                        treated_at=end,
                    )
                )
    AbsenceEvent.objects.bulk_create(events, batch_size=5000)
    AbsenceNotice.objects.bulk_create(notices, batch_size=5000)


def bench_prepare(ctx):
    """Before a load run: remove the notices an earlier run posted, so that its
    notices are accepted again rather than refused as overlapping."""
    AbsenceNotice.objects.filter(comment=NOTICE_COMMENT).delete()


def _todays_register(user, ctx):
    klass = ctx.classes_of_teacher(user.id)[0]
    return actions.do_open_register(user, target=klass, day=timezone.localdate(), half_day=HalfDay.MORNING)


def _register_page(user, ctx):
    register = _todays_register(user, ctx)
    return [("GET", reverse("absences:register", kwargs={"register_id": register.id}), "")]


def register_post(user, ctx):
    """Three versions of the same register (different pupils absent or late), so
    that successive saves create, change and remove marks as a teacher does."""
    register = _todays_register(user, ctx)
    path = reverse("absences:register", kwargs={"register_id": register.id})
    pupils = ctx.pupils_by_class[register.school_class_id]
    out = []
    for v in range(3):
        fields = {f"s{p}": "present" for p in pupils}
        fields[f"s{pupils[v]}"] = AbsenceEvent.Kind.ABSENCE
        fields[f"s{pupils[v + 3]}"] = AbsenceEvent.Kind.LATE
        fields[f"m{pupils[v + 3]}"] = str(5 + v)
        out.append(("POST", path, urlencode(fields)))
    return out


def _grow_register(user, ctx, n):
    """n more pupils in the class of the teacher's register."""
    klass = ctx.classes_of_teacher(user.id)[0]
    User = get_user_model()
    kids = User.objects.bulk_create(
        [User(username=f"grow_reg_{user.id}_{i}", first_name=f"E{i}", last_name=f"N{i}") for i in range(n)]
    )
    Enrollment.objects.bulk_create([Enrollment(pupil=k, school_class=klass) for k in kids])


def notice_post(user, ctx):
    """One absence notice per coming half-day (so each is new, not refused as
    overlapping), for the parent's first child."""
    pupil_id = ctx.children_of(user.id)[0]
    klass = ctx.class_of_pupil(pupil_id)
    reason = next(r for r in ensure_reasons(klass.school).values() if not r.needs_proof)
    # Both guardians of a child post: each takes every other half-day, so
    # neither meets the other's notice.
    guardians = ctx.guardians_by_pupil[pupil_id]
    mine = guardians.index(user.id)
    today = timezone.localdate()
    out, day, slot = [], today + datetime.timedelta(days=1), 0
    # School days only: a notice on a holiday or a closed day asks the parent to
    # confirm the dates (the form again, not a redirect), as it should.
    closed, start = set(), day
    while start <= klass.year.ends_on:  # closed_days looks at most MAX_DAYS_CHECKED ahead
        closed.update(c.day for c in closed_days(start, klass.year.ends_on, klass.school))
        start += datetime.timedelta(days=MAX_DAYS_CHECKED)
    while len(out) < 80 and day <= klass.year.ends_on:
        if day.weekday() < 5 and day not in closed:
            for half_day in (HalfDay.MORNING, HalfDay.AFTERNOON):
                slot += 1
                if slot % len(guardians) != mine:
                    continue
                body = urlencode(
                    {
                        "start_date": day.isoformat(),
                        "start_half_day": half_day,
                        "end_date": day.isoformat(),
                        "end_half_day": half_day,
                        "reason": reason.id,
                        "comment": NOTICE_COMMENT,
                    }
                )
                out.append(("POST", reverse("absences:declare", kwargs={"pupil_id": pupil_id}), body))
        day += datetime.timedelta(days=1)
    return out


def bench_pages(Page):
    return [
        Page("teacher_register", "teacher", 2, _register_page, _grow_register),
        Page("teacher_register_post", "teacher", 1, register_post),
        Page("parent_absence_notice", "parent", 1, notice_post),
    ]
