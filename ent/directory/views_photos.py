"""Pupil photos (the trombinoscope): the thumbnail itself, for the pupil's
teachers and school office only, and the office's and the family's pages.
Thin views: form → access → one action (ent/directory/photos.py) → response."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ent import errors, files
from ent.directory import access, photos
from ent.directory.forms_photos import PhotoActionForm, PhotoUploadForm, PhotoZipForm


def _private(response):
    # A child's face: never kept by a shared cache, a proxy or the browser's disk.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pupil_photo(request, pupil_id):
    """The thumbnail's bytes (a few KB), read from the store after the access
    check: no link to the store is ever handed out for a face."""
    photo = access.access_pupil_photo(request.user, pupil_id)
    if not photo.is_offered:
        return files.unavailable(request, photo, photo.filename)
    data = photos.read_thumbnail(photo)
    if data is None:
        return _private(HttpResponse(status=404))
    response = HttpResponse(data, content_type=files.JPEG)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)


@login_required
@require_http_methods(["GET", "POST"])
def school_photos(request, school_id):
    """The office's photo page: how many pupils have one, the zip upload and its
    report file by file, and each pupil's state with a link to their page."""
    school = access.access_photo_school(request.user, school_id)
    form = PhotoZipForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with errors.reported(request, form=form, field="archive") as outcome:
                report = photos.do_import_photos(request.user, school, form.cleaned_data["archive"])
            status = outcome.status
        else:
            status = 400
    return render(
        request,
        "directory/photos/school.html",
        {
            "school": school,
            "form": form,
            "report": report,
            "counts": access.school_photo_counts(school),
            "pupils": access.school_photo_states(school),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pupil_photo_manage(request, school_id, pupil_id):
    """One pupil's photo, from the office: upload or replace, delete, and the
    family's refusal recorded or withdrawn."""
    school = access.access_photo_school(request.user, school_id)
    pupil = access.access_photo_pupil(request.user, school, pupil_id)
    upload_form = PhotoUploadForm()
    status = 200
    if request.method == "POST":
        if "photo" in request.FILES or "upload" in request.POST:
            upload_form = PhotoUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                with errors.reported(
                    request, _("Photo saved; the antivirus is checking it."), form=upload_form, field="photo"
                ) as outcome:
                    photos.do_upload_photo(request.user, school, pupil, upload_form.cleaned_data["photo"])
                if outcome.ok:
                    return redirect("directory:pupil_photo_manage", school_id=school.id, pupil_id=pupil.id)
                status = outcome.status
            else:
                status = 400
        else:
            action = PhotoActionForm(request.POST)
            if not action.is_valid():
                messages.error(request, _("Choose what to do with the photo."))
                status = 400
            else:
                _act(request, action.cleaned_data["action"], school, pupil)
                return redirect("directory:pupil_photo_manage", school_id=school.id, pupil_id=pupil.id)
    return render(
        request,
        "directory/photos/pupil.html",
        {"school": school, "pupil": pupil, "form": upload_form, **access.photo_state(pupil, school)},
        status=status,
    )


def _act(request, action, school, pupil):
    if action == "refuse":
        photos.do_record_refusal(request.user, pupil, school)
        messages.success(request, _("The family’s refusal is recorded; no photo is kept for this pupil."))
    elif action == "allow":
        photos.do_withdraw_refusal(request.user, pupil, school)
        messages.success(request, _("The refusal is withdrawn: a photo may be added."))
    else:
        photo = access.photo_state(pupil, school)["photo"]
        if photo is not None:
            photos.do_delete_photo(photo)
        messages.success(request, _("The photo is deleted."))


@login_required
@require_http_methods(["GET", "POST"])
def child_photo(request, child_id, school_id):
    """The family's side: whether the school keeps a photo of their child for
    the teachers' registers, and the refusal, recorded in one tap. Only the
    office withdraws it (on a signed paper)."""
    child, school = access.access_child_photo_school(request.user, child_id, school_id)
    if request.method == "POST":
        if request.POST.get("action") != "refuse":
            messages.error(request, _("Choose what to do with the photo."))
        else:
            photos.do_record_refusal(request.user, child, school)
            messages.success(request, _("Your refusal is recorded: the school keeps no photo of your child."))
            return redirect("directory:child_photo", child_id=child.id, school_id=school.id)
    state = access.photo_state(child, school)
    return render(
        request,
        "directory/photos/child.html",
        {"child": child, "school": school, "refusal": state["refusal"], "has_photo": state["photo"] is not None},
        status=400 if request.method == "POST" else 200,
    )
