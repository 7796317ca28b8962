"""The timetable's pages: a person's week, a pupil's week (a parent's child,
a pupil a teacher or the office looks up), a class's week; the office's
import and one-off changes."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ent import dates, errors
from ent.directory.context_processors import request_child
from ent.timetable import access, actions, ical
from ent.timetable.forms import ApplyForm, ChangeForm, ImportForm, WeekForm, WeekKindForm
from homework import access as feeds
from homework import actions as feed_actions
from homework.models import CalendarFeed

TIMETABLE_FEED = CalendarFeed.Kind.TIMETABLE


def _week(request):
    """(form, monday, saturday) of the week asked for; a bad date shows this
    week with the form's error next to its field."""
    form = WeekForm(request.GET or None)
    day = (form.cleaned_data.get("semaine") if form.is_valid() else None) or timezone.localdate()
    first, last = access.week_bounds(day)
    return form if form.is_bound else WeekForm(initial={"semaine": first}), first, last


def _days(found, first, last, due=None):
    """The week as days (Monday..Saturday; Saturday only when it has lessons),
    each lesson with the work due in it (homework's due_work_by_lesson)."""
    today = timezone.localdate()
    due = due or {}
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        of_day = [lesson for lesson in found if lesson.date == day]
        if day.weekday() == 5 and not of_day:
            continue
        rows = [{"lesson": lesson, "due": due.get(lesson.key, ())} for lesson in of_day]
        days.append({"date": day, "lessons": of_day, "rows": rows, "is_today": day == today})
    return days


def _page(request, template_context, found, first, last, form, status=200, due=None):
    context = {
        "form": form,
        "first": first,
        "last": last,
        "previous": first - timedelta(days=7),
        "following": first + timedelta(days=7),
        "days": _days(found, first, last, due),
        "today_changes": [x for x in found if x.date == timezone.localdate() and x.changed],
    } | template_context
    return render(request, "timetable/week.html", context, status=400 if form.errors else status)


@login_required
@require_GET
def mine(request):
    """My week: a pupil's or a teacher's own; a parent's chosen child's."""
    form, first, last = _week(request)
    about, found = access.my_week(request.user, first, last, chosen_child=lambda: request_child(request))
    pupil = about.get("pupil")
    whose = pupil.id if pupil is not None else request.user.id
    due = feeds.due_work_by_lesson(request.user, found, pupil=pupil)
    return _page(request, about | {"feed": _feed_block(request.user, whose)}, found, first, last, form, due=due)


def _feed_block(user, whose):
    """The week page's calendar address block (None: nothing to offer)."""
    offer = feeds.feed_offer(user, whose, TIMETABLE_FEED)
    if offer is not None and offer["feed"] is not None:
        offer["url"] = settings.SITE_URL + reverse("timetable:ical_feed", args=[offer["feed"].token])
        # webcal: makes phones open their calendar app's "subscribe" screen (no copy needed).
        offer["webcal"] = "webcal://" + offer["url"].split("://", 1)[1]
    return offer


@login_required
@require_GET
def pupil_week(request, pupil_id):
    form, first, last = _week(request)
    pupil, found = access.pupil_lessons(request.user, pupil_id, first, last)
    due = feeds.due_work_by_lesson(request.user, found, pupil=pupil)
    return _page(request, {"pupil": pupil}, found, first, last, form, due=due)


@login_required
@require_GET
def class_week(request, class_id):
    form, first, last = _week(request)
    klass, found = access.class_lessons(request.user, class_id, first, last)
    return _page(request, {"klass": klass}, found, first, last, form)


@login_required
@require_http_methods(["GET", "POST"])
def import_file(request, school_id):
    """Upload → preview (every issue by line and field, what would change) →
    apply. Nothing is written before "apply"."""
    school = access.access_office_school(request.user, school_id)
    year = access.access_current_year(school)
    form, preview, token = ImportForm(), None, None
    if request.method == "POST" and "token" in request.POST:
        apply_form = ApplyForm(request.POST)
        data = actions.stashed_upload(school, apply_form.data.get("token", "")) if apply_form.is_valid() else None
        if data is None:
            messages.error(request, _("This preview has expired: upload the file again."))
            return redirect("timetable:import", school_id=school.id)
        with errors.reported(request) as outcome:
            result = actions.do_import_timetable(request.user, school, year, data)
        if outcome.ok:
            actions.do_forget_upload(apply_form.cleaned_data["token"])
            messages.success(
                request,
                _("Timetable imported: %(created)s added, %(updated)s changed, %(removed)s removed.")
                % {"created": result.created, "updated": result.updated, "removed": result.removed},
            )
            return redirect("timetable:changes", school_id=school.id)
        return redirect("timetable:import", school_id=school.id)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            # Through the file gate (type, size, antivirus) before it is read;
            # the preview's stash keeps only a file the antivirus passed.
            with errors.reported(request, form=form, field="file") as outcome:
                data = actions.check_upload(form.cleaned_data["file"])
            if outcome.ok:
                preview = actions.check_import(data, school, year)
                token = actions.do_stash_upload(school, data) if preview.ok else None
    status = 400 if form.errors or (preview is not None and not preview.ok) else 200
    return render(
        request,
        "timetable/import.html",
        {"school": school, "form": form, "preview": preview, "token": token},
        status=status,
    )


def _change_form(request, school, data=None):
    return ChangeForm(
        data,
        slots=access.school_slots(request.user, school),
        teachers=access.school_teachers(request.user, school),
        classes=access.school_classes(request.user, school),
        subjects=access.school_subjects(request.user, school),
        initial={"date": timezone.localdate()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def changes(request, school_id):
    """The office's one-off changes: the list from today on, and the form to
    record one (no JavaScript: one form, the action says what each kind needs)."""
    school = access.access_office_school(request.user, school_id)
    form = _change_form(request, school, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            kind, slot, day = data.pop("kind"), data.pop("slot"), data.pop("date")
            with errors.reported(request, _("Change recorded."), form=form) as outcome:
                fields = {k: v for k, v in data.items() if v not in (None, "")}
                actions.do_record_change(request.user, school, kind=kind, slot=slot, day=day, **fields)
            if outcome.ok:
                return redirect("timetable:changes", school_id=school.id)
            status = outcome.status
        else:
            status = 400
    return render(
        request,
        "timetable/changes.html",
        {"school": school, "form": form, "changes": access.school_changes(request.user, school, timezone.localdate())},
        status=status,
    )


@login_required
@require_POST
def change_withdraw(request, change_id):
    change = access.access_change(request.user, change_id, for_write=True)
    actions.do_withdraw_change(request.user, change)
    messages.success(request, _("Change withdrawn."))
    return redirect("timetable:changes", school_id=change.school_id)


@login_required
@require_GET
def weeks(request, school_id):
    """The office's A/B weeks: the year's Mondays, each week's kind, and a
    form per Monday to type its kind or let it follow the alternation."""
    school = access.access_office_school(request.user, school_id)
    year = access.access_current_year(school)
    found = access.school_weeks(request.user, school, year)
    return render(request, "timetable/weeks.html", {"school": school, "year": year, "weeks": found})


@login_required
@require_POST
def week_set(request, school_id):
    school = access.access_office_school(request.user, school_id)
    year = access.access_current_year(school)
    form = WeekKindForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a Monday of the year and week A, week B or the alternation."))
        return redirect("timetable:weeks", school_id=school.id)
    monday, kind = form.cleaned_data["monday"], form.cleaned_data["kind"]
    with errors.reported(request, _("Week of %(day)s saved.") % {"day": dates.day(monday)}):
        actions.do_set_week_kind(request.user, school, year, monday, kind)
    return redirect(reverse("timetable:weeks", args=[school.id]) + f"#w{monday:%Y%m%d}")


# --- Calendar feeds: the homework feeds' token mechanism, of kind TIMETABLE ----------------------


@login_required
@require_POST
def feed_regenerate(request):
    pupil = feeds.access_feed_pupil(request.user, request.POST.get("pupil"), TIMETABLE_FEED)
    feed_actions.do_regenerate_feed(request.user, pupil, TIMETABLE_FEED)
    messages.success(request, _("A new address was made. The previous one no longer works."))
    return redirect("timetable:mine")


@login_required
@require_POST
def feed_revoke(request):
    pupil = feeds.access_feed_pupil(request.user, request.POST.get("pupil"), TIMETABLE_FEED)
    feed_actions.do_revoke_feed(request.user, pupil, TIMETABLE_FEED)
    messages.success(request, _("The address was deleted: calendars using it no longer update."))
    return redirect("timetable:mine")


@never_cache
@require_GET
def ical_feed(request, token):
    """No login: the secret address is the credential (calendar apps cannot log in)."""
    feed = feeds.access_feed_by_token(token, TIMETABLE_FEED)
    start, end = ical.feed_range()
    found = access.feed_lessons(feed.pupil, start, end)
    response = HttpResponse(
        ical.build_calendar(feed.pupil.first_name, found), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="emploi-du-temps.ics"'
    return response
