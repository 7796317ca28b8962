"""Announcements I received, and confirming one when the school asks for it."""

from ninja import Query, Router

from ent.api.core import PageQuery, page_of, responses
from ent.api.views import schemas
from messaging import access, actions

router = Router(tags=["announcements"])


def _announcement(link):
    a = link.announcement
    return {
        "id": a.id,
        "title": a.title,
        "body": a.body,
        "created_at": a.created_at,
        "requires_confirmation": a.requires_confirmation,
        "read": link.read_at is not None,
        "confirmed": link.confirmed_at is not None,
    }


@router.get("/announcements", response=responses({200: schemas.AnnouncementPage}), summary="Announcements I received")
def announcements(request, page: Query[PageQuery]):
    return page_of(access.received_announcements(request.user), page, _announcement)


@router.post(
    "/announcements/{announcement_id}/confirm",
    response=responses({200: schemas.Announcement}),
    summary="Confirm I have read it",
)
def confirm(request, announcement_id: int):
    item = access.access_announcement(request.user, announcement_id)
    actions.do_mark_announcement_read(request.user, item)
    actions.do_confirm_announcement(request.user, item)
    return _announcement(access.recipient_link(request.user, item))
