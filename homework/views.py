"""Thin views: form → access → one action → redirect or render."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ent import errors, files, pagecache, storage
from ent.http import safe_next
from homework import access, actions, pagescopes
from homework.forms import (
    CopyForm,
    EditEntryForm,
    HandInForm,
    NewEntryForm,
    VisaForm,
    entry_initial,
)
from homework.ical import build_calendar
from homework.models import Entry


def _render(request, template, context, **kwargs):
    """render() plus what the homework sub-menu needs."""
    context |= access.menu_of(request.user)
    return render(request, template, context, **kwargs)


def _monday(value=None):
    day = timezone.localdate()
    if value:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            pass
    return day - datetime.timedelta(days=day.weekday())


def _presigned_redirect(key, filename, content_type):
    response = HttpResponseRedirect(
        storage.presigned_get(key, filename=filename, content_type=content_type or "application/octet-stream")
    )
    # The URL is a short-lived credential: never cache it.
    response["Cache-Control"] = "no-store"
    return response


# --- Families ------------------------------------------------------------------------------------


@login_required
@require_GET
@pagecache.cached_page(pagescopes.week_scopes)
def week(request):
    """The pupil's work for this week and next, by due date; for a parent, the
    same for the child chosen in the header, read-only."""
    user = request.user
    family = access.family_pupil(user, request.session.get("child_id"))
    if family is None:
        if access.readable_targets(user):
            return redirect("homework:diaries")
        return _render(request, "homework/week.html", {"pupil": None})
    pupil, read_only = family
    monday = _monday(request.GET.get("semaine"))
    end = monday + datetime.timedelta(days=14)
    diary = access.diary_for_pupil(user, pupil)
    # Work due in the two weeks and this week's lesson summaries in one query.
    entries = list(
        diary.filter(
            Q(kind=Entry.Kind.WORK, due_on__gte=monday, due_on__lt=end)
            | Q(kind=Entry.Kind.LESSON, given_on__gte=monday, given_on__lt=end - datetime.timedelta(days=7))
        )
        .select_related("subject")
        .prefetch_related("attachments")
        .with_done(pupil.id)
        .order_by("subject__name", "id")
    )
    work = sorted((e for e in entries if e.kind == Entry.Kind.WORK), key=lambda e: e.due_on)
    lessons = sorted((e for e in entries if e.kind == Entry.Kind.LESSON), key=lambda e: e.given_on)
    weeks = []
    for start in (monday, monday + datetime.timedelta(days=7)):
        items = [e for e in work if start <= e.due_on < start + datetime.timedelta(days=7)]
        days = defaultdict(list)
        for e in items:
            days[e.due_on].append(e)
        weeks.append(
            {
                "start": start,
                "end": start + datetime.timedelta(days=6),
                "days": sorted(days.items()),
                "minutes": sum(e.minutes or 0 for e in items),
                "minutes_left": sum(e.minutes or 0 for e in items if not e.done),
                "count": len(items),
            }
        )
    response = _render(
        request,
        "homework/week.html",
        {
            "pupil": pupil,
            "read_only": read_only,
            "weeks": weeks,
            "lessons": lessons,
            "monday": monday,
            "previous": monday - datetime.timedelta(days=7),
            "next": monday + datetime.timedelta(days=7),
            "is_this_week": monday == _monday(),
        },
    )
    # Scheduled entries appear with the clock, not with a write: the cached page
    # ends when the next one is published (one query, when the page is stored).
    pagecache.expire_at(response, lambda: access.next_publication_for_pupil(user, pupil))
    return response


@login_required
@require_POST
def tick(request, entry_id):
    """A pupil ticks (done=1) or unticks (done=0) a piece of work. Works as a
    plain form; the script sends the same form and gets JSON back."""
    entry = access.access_pupil_work(request.user, entry_id)
    done = actions.do_tick(request.user, entry, request.POST.get("done") == "1")
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"done": done})
    default = reverse("homework:week") + f"#entry-{entry.id}"
    return redirect(safe_next(request, default))


@login_required
@require_GET
def entry_detail(request, entry_id):
    user = request.user
    entry = access.access_entry(user, entry_id)
    context = {
        "entry": entry,
        "attachments": list(entry.attachments.all()),
        "can_edit": access.can_edit_entry(user, entry),
        "is_pupil": access.is_in_audience(user, entry),
        "is_teacher": access.is_teacher_of(user, entry),
    }
    if context["is_pupil"] and entry.is_work:
        entry.done = access.is_done_by(user, entry)
    if entry.hand_in:
        if context["is_pupil"]:
            context["my_submission"] = access.submissions_visible_to(user, entry).first()
            context["hand_in_form"] = HandInForm()
        if context["is_teacher"]:
            context["submission_rows"] = access.submission_rows(entry)
    if context["is_teacher"] and entry.is_work:
        context["pupil_count"], context["done_count"] = access.work_progress(entry)
    context["tick_rows"] = access.tick_rows(user, entry)
    if access.can_see_history(user, entry):
        context["revisions"] = access.revisions_of(entry)
        context["show_history"] = True
    return _render(request, "homework/entry_detail.html", context)


@login_required
@require_GET
def attachment_download(request, attachment_id):
    attachment = access.access_attachment(request.user, attachment_id)
    return files.download(request, attachment, files.HOMEWORK_ATTACHMENT)


@login_required
@require_POST
def hand_in(request, entry_id):
    entry = access.access_pupil_entry(request.user, entry_id)
    form = HandInForm(request.POST, request.FILES)
    back = reverse("homework:entry_detail", args=[entry.id]) + "#hand-in"
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return redirect(back)
    with errors.reported(request) as outcome:
        submission = actions.do_hand_in(
            request.user, entry, upload=form.cleaned_data["file"], link=form.cleaned_data["link"]
        )
    if outcome.ok:
        if submission.is_late:
            messages.warning(request, _("Handed in after the due date: your teacher will see it is late."))
        else:
            messages.success(request, _("Your work has been handed in."))
    return redirect(back)


@login_required
@require_GET
def submission_download(request, submission_id):
    submission = access.access_submission(request.user, submission_id)
    if submission.link:
        return HttpResponseRedirect(submission.link)
    return files.download(request, submission, files.HOMEWORK_SUBMISSION)


# --- Teachers and direction ------------------------------------------------------------------------


@login_required
@require_GET
def diaries(request):
    targets = access.access_readable_targets(request.user)
    by_school = defaultdict(list)
    for t in targets:
        by_school[t.school].append(t)
    return _render(request, "homework/diaries.html", {"schools": list(by_school.items())})


@login_required
@require_GET
def diary(request, target):
    """A class's or group's diary: lesson content and work, four weeks at a time,
    with how many pupils ticked each piece of work."""
    user = request.user
    target = access.access_target(user, target)
    monday = _monday(request.GET.get("semaine"))
    start = monday - datetime.timedelta(days=7)
    end = monday + datetime.timedelta(days=21)
    pupil_ids = target.pupil_ids()
    entries = (
        Entry.objects.visible_to(user)
        .filter(target.entries_q(), given_on__gte=start, given_on__lt=end)
        .select_related("subject", "author")
        .prefetch_related("attachments")
        .annotate(
            done_count=Count("done_marks", filter=Q(done_marks__pupil_id__in=pupil_ids), distinct=True),
            submission_count=Count("submissions", distinct=True),
            revision_count=Count("revisions", distinct=True),
        )
        .order_by("given_on", "id")
    )
    context = {
        "target": target,
        "entries": entries,
        "pupil_count": pupil_ids.count(),
        "monday": monday,
        "start": start,
        "end": end - datetime.timedelta(days=1),
        "previous": monday - datetime.timedelta(days=28),
        "next": monday + datetime.timedelta(days=28),
        "can_write": access.can_write_target(user, "g" if target.is_group else "c", target.obj.id),
        "can_visa": access.can_visa(user, target.school),
        "visas": access.recent_visas(target),
        "visa_form": VisaForm(),
    }
    if target.school_class and access.reads_school_archives(user, target.school):
        context["archives"] = access.recent_archives(target)
    return _render(request, "homework/diary.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request, target):
    user = request.user
    target = access.access_target(user, target, for_write=True)
    subjects = access.subjects_for(user, target)
    initial = {"kind": Entry.Kind.WORK, "given_on": timezone.localdate()}
    if subjects.count() == 1:
        initial["subject"] = subjects.first()
    form = NewEntryForm(request.POST or None, request.FILES or None, subjects=subjects, initial=initial, target=target)
    if form.asks_next_lesson():
        form = form.with_next_lesson(access.next_lessons)
    elif request.method == "POST" and form.is_valid():
        with errors.reported(request, form=form) as outcome:
            created = actions.do_create_entry(
                user,
                target,
                form.entry_fields(),
                uploads=form.cleaned_data["attachments"],
                recurrence=form.cleaned_data["recurrence"],
                repeat_until=form.cleaned_data["repeat_until"],
            )
        if outcome.ok:
            if len(created) > 1:
                messages.success(request, _("%(n)s entries were added.") % {"n": len(created)})
            else:
                messages.success(request, _("The entry was added."))
            return redirect("homework:diary", target=target.slug)
    return _render(request, "homework/entry_form.html", {"form": form, "target": target, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, entry_id):
    user = request.user
    entry = access.access_entry(user, entry_id, for_write=True)
    target = access.target_of(entry)
    attachments = list(entry.attachments.all())
    form = EditEntryForm(
        request.POST or None,
        request.FILES or None,
        subjects=access.subjects_for(user, target),
        attachments=attachments,
        initial=entry_initial(entry),
    )
    if request.method == "POST" and form.is_valid():
        with errors.reported(request, _("The entry was saved."), form=form) as outcome:
            actions.do_update_entry(
                user,
                entry,
                form.entry_fields(),
                uploads=form.cleaned_data["attachments"],
                remove_ids=form.removed_ids(),
            )
        if outcome.ok:
            return redirect("homework:entry_detail", entry_id=entry.id)
    return _render(
        request, "homework/entry_form.html", {"form": form, "target": target, "entry": entry, "creating": False}
    )


@login_required
@require_POST
def entry_delete(request, entry_id):
    entry = access.access_entry(request.user, entry_id, for_write=True)
    slug = entry.target_slug
    actions.do_delete_entry(request.user, entry)
    messages.success(request, _("The entry was deleted."))
    return redirect("homework:diary", target=slug)


@login_required
@require_http_methods(["GET", "POST"])
def entry_copy(request, entry_id):
    user = request.user
    entry = access.access_entry(user, entry_id, for_write=True)
    targets = [t for t in access.writable_targets(user) if t.slug != entry.target_slug]
    form = CopyForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        target = access.access_target(user, form.cleaned_data["target"], for_write=True)
        copy = actions.do_copy_entry(user, entry, target)
        messages.success(request, _("The entry was copied to %(name)s.") % {"name": target})
        return redirect("homework:entry_detail", entry_id=copy.id)
    return _render(request, "homework/entry_copy.html", {"form": form, "entry": entry, "targets": targets})


@login_required
@require_POST
def visa(request, target):
    target = access.access_target(request.user, target, for_visa=True)
    form = VisaForm(request.POST)
    if form.is_valid():
        actions.do_put_visa(request.user, target, form.cleaned_data["comment"])
        messages.success(request, _("Your visa was recorded."))
    else:
        messages.error(request, _("The comment is too long (500 characters at most)."))
    return redirect("homework:diary", target=target.slug)


@login_required
@require_POST
def archive_request(request, target):
    target = access.access_target(request.user, target, for_visa=True)
    with errors.reported(request, _("The archive is being prepared; it will appear below in a few moments.")):
        actions.do_request_archive(request.user, target)
    return redirect("homework:diary", target=target.slug)


@login_required
@require_GET
def archive_download(request, archive_id):
    archive = access.access_archive(request.user, archive_id, ready=True)
    name = f"cahier-de-textes-{archive.school_class.name}-{archive.requested_at:%Y-%m-%d}.pdf"
    return _presigned_redirect(archive.key, name, "application/pdf")


# --- Calendar feeds ------------------------------------------------------------------------------


@login_required
@require_GET
def calendar(request):
    user = request.user
    pupils = access.access_feed_pupils(user)
    feeds = access.live_feeds(user, pupils)
    rows = []
    for pupil in pupils:
        feed = feeds.get(pupil.id)
        url = settings.SITE_URL + reverse("homework:ical_feed", args=[feed.token]) if feed else ""
        rows.append({"pupil": pupil, "feed": feed, "url": url, "is_self": pupil.id == user.id})
    return _render(request, "homework/calendar.html", {"rows": rows})


@login_required
@require_POST
def calendar_regenerate(request):
    pupil = access.access_feed_pupil(request.user, request.POST.get("pupil"))
    actions.do_regenerate_feed(request.user, pupil)
    messages.success(request, _("A new address was made. The previous one no longer works."))
    return redirect("homework:calendar")


@login_required
@require_POST
def calendar_revoke(request):
    pupil = access.access_feed_pupil(request.user, request.POST.get("pupil"))
    actions.do_revoke_feed(request.user, pupil)
    messages.success(request, _("The address was deleted: calendars using it no longer update."))
    return redirect("homework:calendar")


@never_cache
@require_GET
def ical_feed(request, token):
    """No login: the secret address is the credential (calendar apps cannot log in)."""
    feed = access.access_feed_by_token(token)
    since = timezone.localdate() - datetime.timedelta(days=60)
    entries = access.feed_entries(feed, since)
    response = HttpResponse(build_calendar(feed.pupil, entries), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cahier-de-textes.ics"'
    return response
