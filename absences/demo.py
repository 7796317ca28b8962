"""Demo content for absences: the reasons of both demo schools, a past week of
registers in `prof`'s classes and in the CM2 of `prof2`, a few absences (some
justified, one unjustified, a late arrival, and one of `eleve`'s still to
explain, so `parent` has a true alert), and one pending notice from `parent2`
for `cpe` to handle. Today's register is left to `prof` (the demo script takes
it). Idempotent: a second run adds nothing."""

import datetime

from django.utils import timezone

from absences import actions, pagescopes
from absences.access import current_enrollment
from absences.models import AbsenceEvent, AbsenceNotice, HalfDay, Reason
from ent import pagecache

# (label, English label, counts as justified, needs proof, private, settles)
REASONS = [
    ("Maladie", "Illness", True, False, True, True),
    ("Rendez-vous médical", "Medical appointment", True, True, True, True),
    ("Raison familiale", "Family reason", True, False, False, True),
    ("Sortie ou voyage scolaire", "School outing or trip", True, False, False, True),
    ("Transport (retard, grève)", "Transport (delay, strike)", True, False, False, True),
    ("Convenance personnelle", "Personal convenience", False, False, False, False),
    ("Sans motif valable", "No valid reason", False, False, False, False),
]


def ensure_reasons(school):
    """The school's default reasons (created once); label -> Reason."""
    if not Reason.objects.filter(school=school).exists():
        Reason.objects.bulk_create(
            Reason(
                school=school,
                label=label,
                label_en=label_en,
                counts_as_justified=justified,
                needs_proof=proof,
                is_private=private,
                settles=settles,
                position=i,
            )
            for i, (label, label_en, justified, proof, private, settles) in enumerate(REASONS)
        )
        # A bulk write outside the actions: it says what it touches as they do.
        pagecache.bump_after_commit(pagescopes.bump_reasons)
    # A demo seeded before reasons had an English label gets it now.
    for label, label_en, *_ in REASONS:
        if Reason.objects.filter(school=school, label=label, label_en="").update(label_en=label_en):
            pagecache.bump_after_commit(pagescopes.bump_reasons)
    return {r.label: r for r in Reason.objects.filter(school=school)}


def _past_school_days(today, year, n=5):
    days, day = [], today - datetime.timedelta(days=1)
    while len(days) < n and day >= year.starts_on:
        if day.weekday() < 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return sorted(days)


def seed(ctx):
    prof, prof2, cpe = ctx.users.get("prof"), ctx.users.get("prof2"), ctx.users.get("cpe")
    eleve = ctx.users.get("eleve")
    college, ecole = ctx.schools.get("college"), ctx.schools.get("ecole")
    if not (prof and cpe and college and ecole):
        return
    reasons = {"college": ensure_reasons(college), "ecole": ensure_reasons(ecole)}
    if AbsenceEvent.objects.filter(school=college).exists():
        return  # the week is already there
    today = timezone.localdate()
    klass = ctx.classes["6e A"]
    days = _past_school_days(today, klass.year)
    pupils = ctx.pupils["6e A"]
    math = ctx.subjects.get(("college", "MATH"))

    # prof's lessons last week: 6e A at 8h, 6e B at 10h, 5e A at 14h; everyone took the register.
    slots = [("6e A", 8), ("6e B", 10), ("5e A", 14)]
    for n, day in enumerate(days):
        for class_name, hour in slots:
            target = ctx.classes[class_name]
            register = actions.registers.do_open_register(
                prof,
                target=target,
                day=day,
                starts_at=datetime.time(hour),
                ends_at=datetime.time(hour, 55),
                subject=math,
                manager=True,
            )
            marks = {}
            class_pupils = ctx.pupils[class_name]
            if class_name == "6e A":
                # Someone other than `eleve` is ill on the first two days; another is late now and then.
                if n < 2:
                    marks[pupils[3].id] = ("absence", None)
                if n % 2:
                    marks[pupils[5].id] = ("late", 10)
                if n == 3:
                    marks[pupils[7].id] = ("absence", None)
                # `eleve` missed the last morning lesson and the family has not said why yet:
                # the alert in `parent`'s feed comes from this absence, through the register.
                if n == len(days) - 1 and eleve is not None:
                    marks[eleve.id] = ("absence", None)
            elif n == 1:
                marks[class_pupils[2].id] = ("absence", None)
            actions.registers.do_save_register(prof, register, marks, finish=True)
            if eleve is not None and eleve.id in marks:
                actions.alerts.do_alert_unexplained(register)

    # Vie scolaire's decisions: illness justified (health reason: teachers see "justified"),
    # one absence without a valid reason.
    for event in AbsenceEvent.objects.filter(school=college, pupil=pupils[3]):
        actions.records.do_update_event(
            cpe, event, reason=reasons["college"]["Maladie"], state="unexplained", settled=False, comment=""
        )
    for event in AbsenceEvent.objects.filter(school=college, pupil=pupils[7]):
        actions.records.do_update_event(
            cpe,
            event,
            reason=reasons["college"]["Convenance personnelle"],
            state="unexplained",
            settled=True,
            comment="",
        )

    # Primary: prof2's CM2 registers per half-day.
    cm2 = ctx.classes.get("CM2")
    if prof2 and cm2:
        cm2_pupils = ctx.pupils["CM2"]
        for n, day in enumerate(days):
            for half in (HalfDay.MORNING, HalfDay.AFTERNOON):
                register = actions.registers.do_open_register(prof2, target=cm2, day=day, half_day=half, manager=True)
                marks = {cm2_pupils[4].id: ("absence", None)} if n == 2 else {}
                actions.registers.do_save_register(prof2, register, marks, finish=True)

    # A notice from parent2 for their child, declared in advance, waiting for cpe.
    parent2 = ctx.users.get("parent2")
    child = next((p for p in pupils if p.guardians_links.filter(guardian=parent2).exists()), None) if parent2 else None
    if child is not None and not AbsenceNotice.objects.filter(pupil=child).exists():
        enrollment = current_enrollment(child.id)
        day = today + datetime.timedelta(days=1)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        if day <= enrollment.school_class.year.ends_on:
            actions.notices.do_declare_notice(
                parent2,
                child,
                enrollment,
                data={
                    "start_date": day,
                    "start_half_day": HalfDay.MORNING,
                    "end_date": day,
                    "end_half_day": HalfDay.MORNING,
                    "reason": reasons["college"]["Raison familiale"],
                    "comment": "Mariage de sa tante : il rentrera pour la cantine.",
                },
            )
    ctx.log("absences: reasons, a week of registers and one notice to handle")
