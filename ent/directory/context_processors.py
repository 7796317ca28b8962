from django.conf import settings

from ent.directory.models import User


def request_children(request):
    """The parent's children, in first-name order, loaded once per request (the
    header's child switcher and the page itself both need them)."""
    children = getattr(request, "_ent_children", None)
    if children is None:
        children = request._ent_children = list(User.objects.children_of(request.user).order_by("first_name"))
    return children


def request_child(request):
    """The child a parent's pages are about: the one chosen in the header
    (session "child_id"), else the first by first name; None without children."""
    children = request_children(request)
    selected = request.session.get("child_id")
    return next((c for c in children if c.id == selected), children[0] if children else None)


def ent_context(request):
    """Navigation data for the base template. Costs nothing for anonymous pages;
    for a person, the roles (one query, cached on the user) and, for a parent, the
    children (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.ENT_DEMO_MODE}
    roles = user.roles
    children = []
    current_child = None
    if roles.is_parent:
        children = request_children(request)
        current_child = request_child(request)
    return {
        "roles": roles,
        "nav_children": children,
        "current_child": current_child,
        "demo_mode": settings.ENT_DEMO_MODE,
    }
