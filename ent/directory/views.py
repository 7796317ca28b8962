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
from ent.directory.models import (
    Enrollment,
    Group,
    Guardianship,
    School,
    SchoolClass,
    TeachingAssignment,
    User,
)
from ent.directory.sessions import track_session
from ent.errors import InvalidActivationCode
from ent.http import safe_next

ACTIVATION_SESSION_KEY = "ent_activation_code_id"


@login_required
@pagecache.cached_page(lambda request: [])
def home(request):
    """One home page that shows each role what concerns them."""
    user = request.user
    roles = user.roles
    context = {}
    if roles.is_parent:
        child = request_child(request)
        context["child"] = child
        context["child_classes"] = SchoolClass.objects.filter(
            id__in=roles.child_class_ids.get(child.id, ())
        ).select_related("school")
    if roles.is_pupil:
        context["pupil_classes"] = SchoolClass.objects.filter(id__in=roles.pupil_class_ids).select_related("school")
        context["pupil_teachers"] = (
            TeachingAssignment.objects.filter(
                Q(school_class_id__in=roles.pupil_class_ids) | Q(group_id__in=roles.pupil_group_ids)
            )
            .select_related("teacher", "subject")
            .order_by("teacher__last_name")
        )
    if roles.is_teacher:
        context["taught_classes"] = (
            SchoolClass.objects.filter(id__in=roles.taught_class_ids)
            .select_related("school")
            .annotate(pupil_count=Count("enrollments", filter=Q(enrollments__left_on__isnull=True)))
        )
        context["taught_groups"] = (
            Group.objects.filter(id__in=roles.taught_group_ids)
            .select_related("school")
            .annotate(pupil_count=Count("members"))
        )
    if roles.is_staff or roles.is_admin:
        schools = list(
            School.objects.administered_by(user)
            .select_related("territory")
            .annotate(class_count=Count("classes", filter=Q(classes__year__is_current=True)))
        )
        # The directory managers get links to the management pages (imports,
        # letters, accounts, new year); a référent numérique does not.
        for school in schools:
            school.can_manage = access.can_manage_school(user, school)
        context["managed_schools"] = schools
    return render(request, "directory/home.html", context)


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
    pupils = (
        User.objects.pupils_visible_to(request.user)
        .filter(id__in=Enrollment.objects.current().filter(school_class=klass).values("pupil_id"))
        .order_by("last_name", "first_name")
    )
    teachers = (
        TeachingAssignment.objects.filter(school_class=klass)
        .select_related("teacher", "subject")
        .order_by("teacher__last_name")
    )
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
    guardians = Guardianship.objects.filter(
        pupil=pupil, guardian__in=User.objects.visible_to(request.user)
    ).select_related("guardian")
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
    from ent.directory.models import ActivationCode

    code_id = request.session.get(ACTIVATION_SESSION_KEY)
    code = ActivationCode.objects.select_related("user").filter(id=code_id).first() if code_id else None
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
