"""Directory management (imports, login letters, accounts, year rollover) for
the school's direction, secretary and vie scolaire and the territory admins,
plus the privacy pages. Thin views: form → access → one action → response."""

import tempfile
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ent import csvwriter, errors, storage
from ent.directory import access, letters, lifecycle, privacy
from ent.directory.actions import do_add_closed_day, do_delete_closed_day, do_reset_second_factors
from ent.directory.forms import ClosedDayForm
from ent.directory.forms_admin import (
    AccountsFilterForm,
    BlockForm,
    ImportUploadForm,
    LettersForm,
    MergeForm,
    RolloverForm,
)
from ent.directory.imports import jobs
from ent.directory.imports.messages import field_label, issue_message
from ent.errors import EntError, StorageUnavailable
from ent.notify import privacy as notify_privacy

PREVIEW_CHANGES = 300
ACTION_LABELS = {"create": _l("new"), "update": _l("updated"), "unchanged": _l("unchanged"), "deactivate": _l("left")}
ENTITY_LABELS = {
    "pupil": _l("pupil"),
    "guardian": _l("guardian"),
    "class": _l("class"),
    "teacher": _l("teacher"),
    "staff": _l("staff"),
}


@login_required
@require_GET
def manage_home(request):
    schools = access.access_managed_schools(request.user)
    return render(request, "directory/admin/home.html", {"schools": schools})


@login_required
@require_GET
def manage_school(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    jobs_list = access.recent_imports(school)
    return render(
        request,
        "directory/admin/school.html",
        {"school": school, "jobs": jobs_list, "keeps_calendar": access.can_keep_calendar(request.user, school)},
    )


# --- Imports ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.do_start_import(
                school,
                by=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                scope=form.cleaned_data["scope"],
            )
        except StorageUnavailable as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("import_detail", job_id=job.id)
    recent = access.recent_imports(school)
    return render(request, "directory/admin/import_form.html", {"school": school, "form": form, "jobs": recent})


def _issues(issues):
    return [{**i, "message": issue_message(i), "field_label": field_label(i["field"])} for i in issues]


@login_required
@require_GET
def import_detail(request, job_id):
    job = access.access_import_job(request.user, job_id)
    shown = [c for c in job.changes if c["action"] != "unchanged"]
    page = Paginator(shown, PREVIEW_CHANGES).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/admin/import_detail.html",
        {
            "job": job,
            "school": job.school,
            "errors": _issues(job.errors),
            "warnings": _issues(job.warnings),
            "changes": page,
            "processed": jobs.live_progress(job),
        },
    )


@login_required
@require_GET
def import_status(request, job_id):
    job = access.access_import_job(request.user, job_id)
    processed = jobs.live_progress(job)
    total = job.total_rows
    percent = job.percent if not job.is_running or not total else min(99, int(100 * processed / total))
    return JsonResponse(
        {"status": job.status, "running": job.is_running, "processed": processed, "total": total, "percent": percent}
    )


@login_required
@require_POST
def import_apply(request, job_id):
    job = access.access_import_job(request.user, job_id)
    try:
        jobs.do_request_apply(job, by=request.user)
    except jobs.ImportNotReady:
        messages.error(request, _("This import cannot be applied: fix the errors and upload the file again."))
    else:
        messages.success(request, _("The import is being applied."))
    return redirect("import_detail", job_id=job.id)


@login_required
@require_GET
def import_report(request, job_id):
    job = access.access_import_job(request.user, job_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.id}.csv"'
    response.write(csvwriter.BOM)
    writer = csvwriter.writer(response)
    writer.writerow([_("Line"), _("Type"), _("What"), _("Who"), _("Field"), _("Detail")])
    for issue in _issues(job.errors):
        writer.writerow([issue["line"], _("error"), "", "", issue["field_label"], issue["message"]])
    for issue in _issues(job.warnings):
        writer.writerow([issue["line"], _("warning"), "", "", issue["field_label"], issue["message"]])
    for change in job.changes:
        writer.writerow(
            [
                change["line"],
                ACTION_LABELS.get(change["action"], change["action"]),
                ENTITY_LABELS.get(change["entity"], change["entity"]),
                change["label"],
                ", ".join(change["fields"]),
                "",
            ]
        )
    return response


# --- Login letters --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def letters_view(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = LettersForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        klass = form.cleaned_data["school_class"]
        if klass is None:
            # A whole school is hundreds of pages: a task builds it into the object store.
            letters.do_request_school_letters(school, by=request.user, only_new=form.cleaned_data["only_new"])
            messages.success(
                request, _("The letters of the whole school are being prepared. You will be told when they are ready.")
            )
            return redirect("login_letters", school_id=school.id)
        # One class is a few dozen pages: made at once, spooled to disk rather than kept in memory.
        out = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)
        done = letters.do_print_letters(
            school, out, by=request.user, klass=klass, only_new=form.cleaned_data["only_new"]
        )
        out.seek(0)
        name = slugify(f"lettres-{klass.name}") + ".pdf"
        response = FileResponse(out, as_attachment=True, filename=name, content_type="application/pdf")
        response["Cache-Control"] = "no-store"  # the codes are in it
        response["X-Letters-Count"] = str(len(done))
        return response
    batches = access.recent_letter_batches(school)
    return render(request, "directory/admin/letters.html", {"school": school, "form": form, "batches": batches})


@login_required
@require_GET
def letters_download(request, batch_id):
    batch = access.access_letter_batch(request.user, batch_id)
    name = slugify(f"lettres-{batch.school.name}") + ".pdf"
    response = redirect(storage.presigned_get(batch.key, filename=name, content_type="application/pdf"))
    response["Cache-Control"] = "no-store"
    return response


# --- Accounts -------------------------------------------------------------------------


@login_required
@require_GET
def accounts(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = AccountsFilterForm(request.GET or None, school=school)
    role, klass = "", None
    if form.is_valid():
        role, klass = form.cleaned_data["role"], form.cleaned_data["school_class"]
    people = lifecycle.select_people(access.people_of_school(school), school=school, role=role, klass=klass)
    since = timezone.now() - timedelta(hours=24)
    people = access.with_account_flags(people, school, since=since)
    page = Paginator(people, 100).get_page(request.GET.get("page"))
    duplicates = lifecycle.find_duplicates(access.people_of_school(school))
    return render(
        request,
        "directory/admin/accounts.html",
        {
            "school": school,
            "form": form,
            "page": page,
            "duplicates": duplicates,
            "block_form": BlockForm(school=school),
            "query": request.GET.urlencode(),
            # Sign-in alerts of the last 24 hours.
            **access.signin_alerts(school, since=since),
        },
    )


@login_required
@require_POST
def accounts_reset_mfa(request, school_id, user_id):
    school = access.access_managed_school(request.user, school_id)
    person = access.access_mfa_resettable_person(request.user, school, user_id)
    count = do_reset_second_factors(person, by=request.user, school=school)
    if count:
        messages.success(
            request,
            _("%(name)s's second factors were removed: they sign in with their password alone.")
            % {"name": person.get_full_name()},
        )
    else:
        messages.info(request, _("%(name)s had no second factor.") % {"name": person.get_full_name()})
    return redirect("accounts", school_id=school.id)


@login_required
@require_POST
def accounts_block(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = BlockForm(request.POST, school=school)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Choose block or unblock.")]:
            messages.error(request, error)
        return redirect("accounts", school_id=school.id)
    data = form.cleaned_data
    people = access.people_of_school(school)
    if data["everyone"]:
        targets = lifecycle.select_people(people, school=school, role=data["role"], klass=data["school_class"])
    else:
        # Each ticked id must be someone of this school; anything else is a 404.
        targets = [access.access_school_person(request.user, school, pk) for pk in data["users"]]
    count = lifecycle.do_set_accounts_active(
        targets if isinstance(targets, list) else list(targets.values_list("id", flat=True)),
        active=data["action"] == "unblock",
        by=request.user,
        school=school,
    )
    if data["action"] == "block":
        messages.success(request, _("%(n)s account(s) blocked.") % {"n": count})
    else:
        messages.success(request, _("%(n)s account(s) unblocked.") % {"n": count})
    return redirect("accounts", school_id=school.id)


@login_required
@require_POST
def pupil_leave(request, school_id, pupil_id):
    school = access.access_managed_school(request.user, school_id)
    pupil = access.access_school_pupil(request.user, school, pupil_id)
    if lifecycle.do_record_departure(pupil, school=school, by=request.user):
        messages.success(request, _("%(name)s has left the school.") % {"name": pupil.get_full_name()})
    else:
        messages.info(request, _("%(name)s had already left.") % {"name": pupil.get_full_name()})
    return redirect("accounts", school_id=school.id)


@login_required
@require_POST
def accounts_merge(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the two accounts to merge."))
        return redirect("accounts", school_id=school.id)
    keep = access.access_school_person(request.user, school, form.cleaned_data["keep"])
    duplicate = access.access_managed_person(request.user, form.cleaned_data["duplicate"])
    try:
        lifecycle.do_merge_accounts(keep, duplicate, by=request.user)
    except EntError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The two accounts are now one: %(username)s. The other account is blocked.")
            % {"username": keep.username},
        )
    return redirect("accounts", school_id=school.id)


# --- Year rollover ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rollover(request, school_id):
    school = access.access_managed_school(request.user, school_id)
    form = RolloverForm(request.POST or None)
    try:
        preview = lifecycle.plan_rollover(school)
    except EntError as exc:
        messages.error(request, exc.message)
        return redirect("manage_school", school_id=school.id)
    if request.method == "POST" and form.is_valid():
        done = lifecycle.do_rollover(school, by=request.user)
        messages.success(
            request,
            _("Year %(old)s closed; %(new)s is open: %(promoted)s pupils promoted, %(left)s left the school.")
            % {"old": done.year.name, "new": done.next_name, "promoted": done.promoted, "left": done.leaving},
        )
        return redirect("manage_school", school_id=school.id)
    return render(request, "directory/admin/rollover.html", {"school": school, "form": form, "preview": preview})


# --- Closed days (issue 22) --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def closed_days(request, school_id):
    school = access.access_calendar_school(request.user, school_id)
    form = ClosedDayForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with errors.reported(request, _("The closed day is saved."), form=form) as outcome:
                do_add_closed_day(
                    school,
                    first=form.cleaned_data["date"],
                    last=form.cleaned_data["end_date"],
                    label=form.cleaned_data["label"],
                )
            if outcome.ok:
                return redirect("closed_days", school_id=school.id)
            status = outcome.status
        else:
            status = 400
    return render(
        request,
        "directory/admin/closed_days.html",
        {"school": school, "form": form, "days": access.closed_days_of(school)},
        status=status,
    )


@login_required
@require_POST
def closed_day_delete(request, school_id, closed_day_id):
    school = access.access_calendar_school(request.user, school_id)
    day = access.access_closed_day(request.user, school, closed_day_id)
    do_delete_closed_day(day)
    messages.success(request, _("The closed day is deleted."))
    return redirect("closed_days", school_id=school.id)


# --- Privacy ------------------------------------------------------------------------------


@require_GET
def privacy_page(request):
    return render(
        request,
        "directory/privacy/privacy.html",
        {
            "leaving_days": privacy.RETENTION_AFTER_LEAVING.days,
            "log_days": privacy.RETENTION_LOGS.days,
            "export_days": privacy.EXPORT_DAYS,
            "import_days": privacy.IMPORT_FILE_DAYS,
            "letters_days": privacy.LETTERS_DAYS,
            "delivery_error_days": notify_privacy.DELIVERY_ERROR_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def privacy_export(request):
    if request.method == "POST":
        privacy.do_request_data_export(request.user)
        messages.success(request, _("Your data is being gathered. You will be told when the file is ready."))
        return redirect("privacy_export")
    exports = access.recent_exports(request.user)
    children = privacy.children_of(request.user)
    return render(request, "directory/privacy/export.html", {"exports": exports, "children": children})


@login_required
@require_GET
def privacy_export_download(request, export_id):
    export = access.access_data_export(request.user, export_id)
    url = storage.presigned_get(export.key, filename="mes-donnees-ent.zip", content_type="application/zip")
    return redirect(url)
