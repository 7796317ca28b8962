from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ent import pagecache
from ent.directory import access
from ent.directory.actions import check_activation_code, do_activate_account, do_issue_activation_code
from ent.directory.auth_backends import DEFAULT_BACKEND
from ent.directory.context_processors import request_child
from ent.directory.forms import ActivationForm, ChildSelectForm
from ent.directory.models import SchoolClass
from ent.directory.sessions import track_session
from ent.errors import InvalidActivationCode
from ent.http import safe_next
from ent.timetable import access as timetable_access
from ent.timetable import pagescopes as timetable_pagescopes

ACTIVATION_SESSION_KEY = "ent_activation_code_id"


@login_required
@pagecache.cached_page(timetable_pagescopes.home_scopes)
def home(request):
    """One home page that shows each role what concerns them (the day's
    lessons: the timetable's part, kept no longer than the next lesson's
    start or end)."""
    user = request.user
    child = access.home_child(user, chosen_child=lambda: request_child(request))
    context = {"child": child} if child is not None else {}
    context |= access.home_lists(user, child)
    response = render(request, "directory/home.html", context)
    memo = timetable_access.home_memo(request)
    pagecache.expire_at(response, lambda: timetable_access.next_change_at(child or user, memo=memo))
    return response


@login_required
@require_POST
def select_child(request):
    form = ChildSelectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of your children."))
        return redirect("home")
    child = access.access_child(request.user, form.cleaned_data["child"])
    request.session["child_id"] = child.id
    return redirect(safe_next(request, "home"))


@login_required
def school_detail(request, school_id):
    school = access.access_school(request.user, school_id)
    classes = (
        SchoolClass.objects.visible_to(request.user)
        .current()
        .filter(school=school)
        .annotate(pupil_count=Count("enrollments", filter=Q(enrollments__left_on__isnull=True)))
    )
    return render(
        request,
        "directory/school_detail.html",
        {"school": school, "classes": classes, "can_manage": access.can_manage_school(request.user, school)},
    )


@login_required
def class_detail(request, class_id):
    klass = access.access_class(request.user, class_id)
    # Only the pupils this person may see: a parent sees their own child, not
    # the rest of the class.
    pupils = access.class_pupils(request.user, klass)
    teachers = access.class_teachers(klass)
    return render(
        request,
        "directory/class_detail.html",
        {
            "klass": klass,
            "pupils": pupils,
            "teachers": teachers,
            "can_manage": access.can_manage_school(request.user, klass.school),
        },
    )


@login_required
def pupil_detail(request, pupil_id):
    pupil = access.access_pupil(request.user, pupil_id)
    enrollments = pupil.enrollments.current().select_related("school_class__school")
    guardians = access.visible_guardians(request.user, pupil)
    can_manage = any(access.can_manage_school(request.user, e.school_class.school) for e in enrollments)
    return render(
        request,
        "directory/pupil_detail.html",
        {
            "pupil": pupil,
            "enrollments": enrollments,
            "guardians": guardians,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def pupil_reset_code(request, pupil_id):
    pupil = access.access_pupil(request.user, pupil_id, for_write=True)
    code = do_issue_activation_code(pupil, by=request.user, reset_password=True)
    # Shown once, never stored in clear: the page must not be cached.
    response = render(request, "directory/activation_code_issued.html", {"person": pupil, "code": code})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def activate(request):
    """First visit: username + code from the school's letter."""
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip().lower()
        if not ratelimit.consume(request, action="activate", key=username):
            return ratelimit.respond_429(request)
        try:
            code = check_activation_code(username, form.cleaned_data["code"])
        except InvalidActivationCode as exc:
            form.add_error(None, exc.message)
        else:
            request.session[ACTIVATION_SESSION_KEY] = code.id
            return redirect("activate_password")
    return render(request, "directory/activate.html", {"form": form})


@require_http_methods(["GET", "POST"])
def activate_password(request):
    code = access.activation_code_of_session(request.session.get(ACTIVATION_SESSION_KEY))
    if code is None or not code.is_usable:
        messages.error(request, _("Enter your username and activation code first."))
        return redirect("activate")
    form = SetPasswordForm(code.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = do_activate_account(code.id, form.cleaned_data["new_password1"])
        except InvalidActivationCode as exc:
            messages.error(request, exc.message)
            return redirect("activate")
        request.session.pop(ACTIVATION_SESSION_KEY, None)
        login(request, user, backend=DEFAULT_BACKEND)
        track_session(request)  # listed in "Mes appareils", like allauth's logins
        messages.success(request, _("Your account is ready. Welcome!"))
        return redirect("home")
    return render(request, "directory/activate_password.html", {"form": form, "person": code.user})
