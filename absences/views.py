from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from absences import access, actions, missed, pagescopes, pending
from absences.forms import (
    DayForm,
    EventForm,
    NoticeForm,
    PeriodForm,
    ReasonForm,
    RecordForm,
    RegisterForm,
    RegisterOpenForm,
    RejectForm,
    register_counts,
    register_summary,
)
from absences.models import AbsenceEvent, AbsenceNotice, AuditEntry, HalfDay, Reason, Register
from absences.stats import pupil_totals, totals_by_pupil
from ent import csvwriter, errors, files, pagecache
from ent.directory import access as directory_access
from ent.directory.context_processors import request_child
from ent.directory.models import Group, School, SchoolClass
from ent.ids import int_id
from ent.timetable import access as timetable_access


def _school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


# Home -------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """What concerns this person today: a teacher's registers, a family's
    absences, a manager's day dashboard."""
    user = request.user
    dashboard = access.home_dashboard(user)
    if dashboard is not None:
        return redirect("absences:dashboard", school_id=dashboard)
    managed = sorted(access.managed_school_ids(user))
    context = {"managed_schools": School.objects.visible_to(user).filter(id__in=managed)}
    if access.is_teacher(user):
        context |= _teacher_today(user)
    pupil = access.home_pupil(user, chosen_child=lambda: request_child(request))
    if pupil is not None:
        context["file"] = _file_context(user, pupil)
    return render(request, "absences/home.html", context)


def _teacher_today(user):
    today = timezone.localdate()
    classes, groups = access.taught_targets(user)
    return {
        "today": today,
        "registers": access.taught_registers(user, today),
        "open_form": RegisterOpenForm(classes=list(classes), groups=list(groups)),
    }


def _file_context(user, pupil):
    events = list(
        AbsenceEvent.objects.visible_to(user)
        .filter(pupil=pupil)
        .select_related("reason", "register__subject", "school_class")
        .order_by("-date", "-starts_at")
    )
    missed.annotate(pupil, events)
    show_private = access.sees_private(user, pupil.id, events[0].school_id if events else None)
    notices = []
    if access.may_see_notices(user, pupil.id):
        notices = list(
            AbsenceNotice.objects.visible_to(user).filter(pupil=pupil).select_related("reason").order_by("-starts_at")
        )
    return {
        "pupil": pupil,
        "events": events,
        "totals": pupil_totals(events),
        "notices": notices,
        "show_private": show_private,
        "can_declare": access.can_declare(user, pupil.id),
    }


# Registers --------------------------------------------------------------------------


@login_required
@require_POST
def register_open(request):
    if "lesson" in request.POST:
        return _open_lesson(request)
    classes, groups = access.access_register_targets(request.user)
    form = RegisterOpenForm(request.POST, classes=classes, groups=groups)
    if form.is_valid():
        data = form.cleaned_data
        target = data["target"]
        with errors.reported(request, form=form) as outcome:
            register = actions.registers.do_open_register(
                request.user,
                target=target,
                day=data["date"],
                half_day=data.get("half_day") or None,
                starts_at=None if target.school.is_primary else data["starts_at"],
                ends_at=None if target.school.is_primary else data["ends_at"],
                manager=access.manages(request.user, target.school_id),
            )
        if outcome.ok:
            return redirect("absences:register", register_id=register.id)
    return render(request, "absences/register_open.html", {"form": form})


def _open_lesson(request):
    """ "Faire l'appel" from the timetable (the teacher's home): the register of
    that lesson, for one of its teachers or the office; 404 for a lesson the
    person does not teach or that is not held today."""
    lesson = timetable_access.access_lesson(request.user, request.POST.get("lesson", ""))
    with errors.reported(request) as outcome:
        register = actions.registers.do_open_lesson_register(
            request.user, lesson, manager=access.manages(request.user, lesson.school.pk)
        )
    if outcome.ok:
        return redirect("absences:register", register_id=register.id)
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
@pagecache.cached_page(pagescopes.register_scopes)
def register(request, register_id):
    posted = request.method == "POST"
    register = access.access_register(request.user, register_id, for_write=posted)
    pupils = actions.registers.roster(register)
    # A save reads the marks again under the register's lock (the action): the
    # form needs them only to show the page.
    events = None if posted else register.events_by_pupil()
    # A register never saved starts with the announced pupils absent (their
    # family's notice covers the lesson); once saved, the teacher's marks
    # stand. A save does not read the notices (its query count is pinned).
    announced = None if posted else register.announced_pupil_ids([p.id for p in pupils])
    premarked = announced if announced and register.state == Register.State.TODO else frozenset()
    form = RegisterForm(request.POST or None, pupils=pupils, events=events or {}, premarked=premarked)
    if posted and form.is_valid():
        finish = "finish" in request.POST
        actions.registers.do_save_register(request.user, register, form.marks(), finish=finish)
        messages.success(request, _("Register completed.") if finish else _("Register saved."))
        return redirect("absences:register", register_id=register.id)
    if events is None:
        events = register.events_by_pupil()
    if announced is None:
        announced = register.announced_pupil_ids([p.id for p in pupils])
    rows = form.table(
        announced,
        # The trombinoscope: the photos this person may see, in one query.
        photos=directory_access.photo_pupil_ids(request.user, [p.id for p in pupils]),
    )
    return render(
        request,
        "absences/register.html",
        {
            "register": register,
            "form": form,
            "rows": rows,
            "can_edit": access.can_edit_register(request.user, register),
            "count": len(pupils),
            "counts": register_counts(rows),
            # What was saved, by name: shown once the register has been saved.
            "summary": None if register.state == Register.State.TODO else register_summary(pupils, events),
        },
    )


# Pupil file and events -------------------------------------------------------------------


@login_required
@require_GET
def pupil_file(request, pupil_id):
    pupil = access.access_pupil_file(request.user, pupil_id)
    enrollment = access.current_enrollment(pupil.id)
    context = {"file": _file_context(request.user, pupil), "pupil": pupil, "enrollment": enrollment}
    if access.is_staff_viewer(request.user, pupil.id) and enrollment is not None:
        actions.retention.record_views(
            request.user, [pupil.id], enrollment.school_class.school_id, AuditEntry.What.FILE
        )
    context["is_manager"] = enrollment is not None and access.manages(request.user, enrollment.school_class.school_id)
    return render(request, "absences/pupil_file.html", context)


@login_required
@require_GET
def event_detail(request, event_id):
    event = access.access_event(request.user, event_id)
    is_manager = access.manages(request.user, event.school_id)
    if access.is_staff_viewer(request.user, event.pupil_id):
        actions.retention.record_views(request.user, [event.pupil_id], event.school_id, AuditEntry.What.EVENT)
    form = None
    if is_manager:
        form = EventForm(
            initial={
                "reason": event.reason_id,
                "state": event.state,
                "settled": event.settled,
                "comment": event.comment,
            },
            reasons=Reason.objects.visible_to(request.user).filter(school_id=event.school_id),
        )
    return _render_event(request, event, form, is_manager)


def _render_event(request, event, form, is_manager, status=200):
    missed.annotate(event.pupil, [event])
    return render(
        request,
        "absences/event_detail.html",
        {
            "event": event,
            "form": form,
            "is_manager": is_manager,
            "show_private": access.sees_private(request.user, event.pupil_id, event.school_id),
        },
        status=status,
    )


@login_required
@require_POST
def event_update(request, event_id):
    event = access.access_event(request.user, event_id, for_write=True)
    form = EventForm(request.POST, reasons=Reason.objects.visible_to(request.user).filter(school_id=event.school_id))
    if form.is_valid():
        data = form.cleaned_data
        with errors.reported(request, _("Absence updated."), form=form) as outcome:
            actions.records.do_update_event(
                request.user,
                event,
                reason=data["reason"],
                state=data["state"],
                settled=data["settled"],
                comment=data["comment"],
            )
        if outcome.ok:
            return redirect("absences:event_detail", event_id=event.id)
    return _render_event(request, event, form, True)


# Notices ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def declare(request, pupil_id):
    pupil, enrollment = access.access_declarable_child(request.user, pupil_id)
    reasons = Reason.objects.visible_to(request.user).offered().filter(school_id=enrollment.school_class.school_id)
    form = NoticeForm(
        request.POST or None,
        request.FILES or None,
        reasons=reasons,
        user=request.user,
        pupil=pupil,
        year=enrollment.school_class.year,
        school=enrollment.school_class.school,
    )
    if request.method == "POST":
        if form.is_valid():
            with errors.reported(request, _("Your notice was sent to the school office."), form=form) as outcome:
                notice = pending.do_declare_notice(request.user, pupil, enrollment, **form.declaration())
            if outcome.ok:
                return redirect("absences:notice_detail", notice_id=notice.id)
        pending.keep_for_retry(request.user, pupil, form)
    return render(request, "absences/declare.html", {"form": form, "pupil": pupil, "enrollment": enrollment})


def _render_notice(request, notice, reject_form=None, status=200):
    is_manager = access.manages(request.user, notice.school_id)
    return render(
        request,
        "absences/notice_detail.html",
        {
            "notice": notice,
            "is_manager": is_manager,
            "reject_form": reject_form or (RejectForm() if is_manager and notice.is_pending else None),
            "events": notice.justified_events.order_by("date", "starts_at") if notice.state == "validated" else [],
        },
        status=status,
    )


@login_required
@require_GET
def notice_detail(request, notice_id):
    notice = access.access_notice(request.user, notice_id)
    if access.is_staff_viewer(request.user, notice.pupil_id):
        actions.retention.record_views(request.user, [notice.pupil_id], notice.school_id, AuditEntry.What.NOTICE)
    return _render_notice(request, notice)


@login_required
@require_GET
def notice_document(request, notice_id):
    notice = access.access_notice(request.user, notice_id, for_document=True)
    if access.is_staff_viewer(request.user, notice.pupil_id):
        actions.retention.record_views(request.user, [notice.pupil_id], notice.school_id, AuditEntry.What.DOCUMENT)
    return files.download(request, notice, files.ABSENCE_DOCUMENT, seconds=120)


@login_required
@require_POST
def notice_validate(request, notice_id):
    notice = access.access_notice(request.user, notice_id, for_treat=True)
    with errors.reported(request, _("Notice validated: the absences it covers are justified.")):
        actions.notices.do_validate_notice(request.user, notice)
    return redirect("absences:notice_detail", notice_id=notice.id)


@login_required
@require_POST
def notice_reject(request, notice_id):
    notice = access.access_notice(request.user, notice_id, for_treat=True)
    form = RejectForm(request.POST)
    if form.is_valid():
        with errors.reported(request, _("Notice rejected; the family has been told why.")):
            actions.notices.do_reject_notice(request.user, notice, reason_text=form.cleaned_data["reject_reason"])
        return redirect("absences:notice_detail", notice_id=notice.id)
    return _render_notice(request, notice, reject_form=form)


# Vie scolaire -------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    day_form = DayForm(request.GET or None)
    day = (day_form.cleaned_data.get("date") if day_form.is_valid() else None) or timezone.localdate()
    registers = list(
        Register.objects.visible_to(request.user)
        .filter(school=school, date=day)
        .select_related("school_class", "group", "subject", "taken_by")
        .order_by("starts_at")
    )
    not_taken = [r for r in registers if not r.is_done]
    # The day's lessons from the timetable that have no register at all yet
    # (matched as the register is keyed: class or group, and start).
    opened = {(r.school_class_id, r.group_id, r.starts_at) for r in registers}
    unopened = [
        lesson
        for lesson in timetable_access.school_lessons(request.user, school, day)
        # Primary schools: the half-days without a register are listed below.
        if not school.is_primary
        and not lesson.cancelled
        and (getattr(lesson.school_class, "pk", None), getattr(lesson.group, "pk", None), lesson.starts_at)
        not in opened
    ]
    missing = []
    if school.is_primary:
        done = {(r.school_class_id, r.half_day) for r in registers if r.school_class_id}
        for klass in (
            SchoolClass.objects.visible_to(request.user).filter(school=school, year__is_current=True).order_by("name")
        ):
            for half in (HalfDay.MORNING, HalfDay.AFTERNOON):
                if (klass.id, half) not in done:
                    missing.append((klass, HalfDay(half).label))
    unexplained = (
        AbsenceEvent.objects.visible_to(request.user)
        .filter(school=school, date=day, kind=AbsenceEvent.Kind.ABSENCE, state=AbsenceEvent.State.UNEXPLAINED)
        .select_related("pupil", "school_class", "register__subject")
        .order_by("pupil__last_name", "pupil__first_name", "starts_at")
    )
    notices = (
        AbsenceNotice.objects.visible_to(request.user)
        .filter(school=school, state=AbsenceNotice.State.PENDING)
        .select_related("pupil", "reason", "declared_by")
        .order_by("starts_at")
    )
    classes, groups = access.school_targets(request.user, school)
    classes, groups = list(classes), list(groups)
    open_form = RegisterOpenForm(classes=classes, groups=groups, initial={"date": day})
    return render(
        request,
        "absences/dashboard.html",
        {
            "school": school,
            "day": day,
            "day_form": day_form if day_form.is_bound else DayForm(initial={"date": day}),
            "registers": registers,
            "not_taken": not_taken,
            "not_taken_count": len(not_taken) + len(missing) + len(unopened),
            "unopened": unopened,
            "today": timezone.localdate(),
            "missing": missing,
            "unexplained": unexplained,
            "notices": notices,
            "open_form": open_form,
            "is_direction": school.id in access.direction_school_ids(request.user),
            "classes": classes,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def record(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    classes, groups = access.school_targets(request.user, school)
    pupils = access.school_pupils(request.user, school)
    form = RecordForm(
        request.POST or None,
        classes=list(classes),
        groups=list(groups),
        pupils=pupils,
        reasons=Reason.objects.visible_to(request.user).offered().filter(school=school),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = data["target"]
        if target is None:
            chosen = [data["pupil"]]
        elif isinstance(target, Group):
            chosen = list(pupils.filter(pupil_groups=target))
        else:
            chosen = list(pupils.filter(enrollments__school_class=target, enrollments__left_on__isnull=True))
        with errors.reported(request, form=form) as outcome:
            rows = actions.records.do_record_absences(
                request.user,
                school,
                pupils=chosen,
                start_date=data["start_date"],
                start_half=data["start_half_day"],
                end_date=data["end_date"],
                end_half=data["end_half_day"],
                kind=data["kind"],
                reason=data["reason"],
                comment=data["comment"],
            )
        if outcome.ok:
            messages.success(request, _("%(n)s absence(s) recorded.") % {"n": len(rows)})
            return redirect("absences:dashboard", school_id=school.id)
    return render(request, "absences/record.html", {"form": form, "school": school})


def _period(request, school):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    start = _school_year_start(today)
    if not form.is_bound:
        form = PeriodForm(initial={"start": start, "end": today})
    return form, start, today


@login_required
@require_GET
def class_stats(request, class_id):
    klass = access.access_stats_class(request.user, class_id)
    form, start, end = _period(request, klass.school)
    pupils = list(access.class_pupils(request.user, klass).order_by("last_name", "first_name"))
    rows = (
        AbsenceEvent.objects.visible_to(request.user)
        .filter(pupil_id__in=[p.id for p in pupils], school_id=klass.school_id, date__gte=start, date__lte=end)
        .values_list("pupil_id", "kind", "date", "half_day", "state", "minutes")
    )
    by_pupil = totals_by_pupil(rows)
    if pupils:
        actions.retention.record_views(request.user, [p.id for p in pupils], klass.school_id, AuditEntry.What.STATS)
    table = [(p, by_pupil.get(p.id)) for p in pupils]
    return render(
        request,
        "absences/class_stats.html",
        {"klass": klass, "form": form, "start": start, "end": end, "table": table, "errors": form.errors},
    )


@login_required
@require_GET
def export_csv(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form, start, end = _period(request, school)
    if form.is_bound and not form.is_valid():
        return render(request, "absences/export.html", {"form": form, "school": school})
    events = (
        AbsenceEvent.objects.visible_to(request.user)
        .filter(school=school, date__gte=start, date__lte=end)
        .select_related("pupil", "school_class", "reason")
        .order_by("date", "starts_at", "pupil__last_name")
    )
    pupil_ids = list(events.values_list("pupil_id", flat=True).distinct().order_by())
    if pupil_ids:
        actions.retention.record_views(request.user, pupil_ids, school.id, AuditEntry.What.EXPORT)
    header = [
        _("Date"),
        _("Half-day"),
        _("Start"),
        _("End"),
        _("Last name"),
        _("First name"),
        _("Class"),
        _("Kind"),
        _("Minutes"),
        _("State"),
        _("Reason"),
        _("Settled"),
        _("Source"),
    ]

    def rows():
        writer = csvwriter.writer(csvwriter.Echo())
        yield csvwriter.BOM + writer.writerow(header)
        for e in events.iterator(chunk_size=500):
            yield writer.writerow(
                (
                    e.date.strftime("%d/%m/%Y"),
                    e.get_half_day_display(),
                    timezone.localtime(e.starts_at).strftime("%H:%M"),
                    timezone.localtime(e.ends_at).strftime("%H:%M"),
                    e.pupil.last_name,
                    e.pupil.first_name,
                    e.school_class.name if e.school_class else "",
                    e.get_kind_display(),
                    e.minutes or "",
                    e.get_state_display(),
                    e.reason.label if e.reason else "",
                    _("yes") if e.settled else _("no"),
                    e.get_source_display(),
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="absences-{school.uai}-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def reasons(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = ReasonForm(request.POST or None, instance=Reason(school=school))
    if request.method == "POST" and form.is_valid():
        actions.reasons.do_save_reason(request.user, form)
        messages.success(request, _("Reason added."))
        return redirect("absences:reasons", school_id=school.id)
    rows = Reason.objects.visible_to(request.user).filter(school=school)
    return render(request, "absences/reasons.html", {"school": school, "form": form, "reasons": rows})


@login_required
@require_http_methods(["GET", "POST"])
def reason_edit(request, school_id, reason_id):
    school = access.access_managed_school(request.user, school_id)
    reason = access.access_reason(request.user, school.id, reason_id, for_write=True)
    form = ReasonForm(request.POST or None, instance=reason)
    if request.method == "POST" and form.is_valid():
        actions.reasons.do_save_reason(request.user, form)
        messages.success(request, _("Reason saved."))
        return redirect("absences:reasons", school_id=school.id)
    return render(request, "absences/reason_edit.html", {"school": school, "form": form, "reason": reason})


@login_required
@require_GET
def audit_log(request, school_id):
    school = access.access_audit_school(request.user, school_id)
    entries = AuditEntry.objects.visible_to(request.user).filter(school=school).select_related("pupil")
    pupil_id = int_id(request.GET.get("pupil"))
    if pupil_id is not None:
        entries = entries.filter(pupil_id=pupil_id)
    return render(request, "absences/audit.html", {"school": school, "entries": entries[:300]})
