from django.conf import settings

from ent.directory.models import User


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
        children = list(User.objects.children_of(user).order_by("first_name"))
        selected = request.session.get("child_id")
        current_child = next((c for c in children if c.id == selected), children[0] if children else None)
    return {
        "roles": roles,
        "nav_children": children,
        "current_child": current_child,
        "demo_mode": settings.ENT_DEMO_MODE,
    }
