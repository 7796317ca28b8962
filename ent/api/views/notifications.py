"""My notifications (the in-app feed) and marking them read."""

from ninja import Query, Router

from ent.api.core import PageQuery, page_of, responses
from ent.api.views import schemas
from ent.notify import actions, rendering
from ent.notify.access import access_notification
from ent.notify.models import Notification

router = Router(tags=["notifications"])


def _notification(n):
    shown = rendering.render(n)
    return {
        "id": n.id,
        "kind": n.kind,
        "subject": shown.subject,
        "text": shown.text,
        "url": n.url,
        "created_at": n.created_at,
        "read": n.read_at is not None,
    }


@router.get("/notifications", response=responses({200: schemas.NotificationPage}), summary="My notifications")
def notifications(request, page: Query[PageQuery]):
    rows = Notification.objects.visible_to(request.user).select_related("child")
    return page_of(rows, page, _notification)


@router.post(
    "/notifications/{notification_id}/read",
    response=responses({200: schemas.Notification}),
    summary="Mark one read",
    url_name="notification_read",
)
def mark_read(request, notification_id: int):
    notification = access_notification(request.user, notification_id)
    actions.do_mark_read(request.user, notification)
    return _notification(access_notification(request.user, notification_id))


@router.post("/notifications/read", response=responses({200: schemas.Count}), summary="Mark all read")
def mark_all_read(request):
    return {"count": actions.do_mark_all_read(request.user)}
