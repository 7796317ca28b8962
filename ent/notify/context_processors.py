from ent.notify.push import unread_count


def unread(request):
    """The unread count in the navigation: one COUNT on an indexed column, none
    for anonymous pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
