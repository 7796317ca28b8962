"""The timetable's pages: a person's week, a pupil's week (a parent's child,
a pupil a teacher or the office looks up), a class's week."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ent.directory.context_processors import request_child
from ent.timetable import access
from ent.timetable.forms import WeekForm


def _week(request):
    """(form, monday, saturday) of the week asked for; a bad date shows this
    week with the form's error next to its field."""
    form = WeekForm(request.GET or None)
    day = (form.cleaned_data.get("semaine") if form.is_valid() else None) or timezone.localdate()
    first, last = access.week_bounds(day)
    return form if form.is_bound else WeekForm(initial={"semaine": first}), first, last


def _days(found, first, last):
    """The week as days (Monday..Saturday; Saturday only when it has lessons)."""
    today = timezone.localdate()
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        of_day = [lesson for lesson in found if lesson.date == day]
        if day.weekday() == 5 and not of_day:
            continue
        days.append({"date": day, "lessons": of_day, "is_today": day == today})
    return days


def _page(request, template_context, found, first, last, form, status=200):
    context = {
        "form": form,
        "first": first,
        "last": last,
        "previous": first - timedelta(days=7),
        "following": first + timedelta(days=7),
        "days": _days(found, first, last),
        "today_changes": [x for x in found if x.date == timezone.localdate() and x.changed],
    } | template_context
    return render(request, "timetable/week.html", context, status=400 if form.errors else status)


@login_required
@require_GET
def mine(request):
    """My week: a pupil's or a teacher's own; a parent's chosen child's."""
    form, first, last = _week(request)
    child = request_child(request) if request.user.roles.is_parent else None
    if child is not None and not (request.user.roles.is_pupil or request.user.roles.is_teacher):
        pupil, found = access.pupil_lessons(request.user, child.id, first, last)
        return _page(request, {"pupil": pupil}, found, first, last, form)
    return _page(request, {"own": True}, access.my_lessons(request.user, first, last), first, last, form)


@login_required
@require_GET
def pupil_week(request, pupil_id):
    form, first, last = _week(request)
    pupil, found = access.pupil_lessons(request.user, pupil_id, first, last)
    return _page(request, {"pupil": pupil}, found, first, last, form)


@login_required
@require_GET
def class_week(request, class_id):
    form, first, last = _week(request)
    klass, found = access.class_lessons(request.user, class_id, first, last)
    return _page(request, {"klass": klass}, found, first, last, form)
