"""Conversations, their messages, sending one, marking read: the inbox's and the conversation page's."""

from ninja import Query, Router, Status

from ent.api import readcache
from ent.api.core import PageQuery, page_of, responses
from ent.api.views import schemas
from messaging import access, actions, pagescopes

router = Router(tags=["messages"])


def _person(user):
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}


def _conversation(link, user_id):
    conv = link.conversation
    return {
        "id": conv.id,
        "subject": conv.subject,
        "last_message_at": conv.last_message_at,
        "unread": link.unread,
        "archived": link.archived,
        "others": [_person(p.user) for p in conv.participants.all() if p.user_id != user_id],
    }


def _message(m):
    hidden = bool(m.hidden)
    return {
        "id": m.id,
        "author": _person(m.author),
        # A message hidden by the school's moderation keeps its place, not its text.
        "body": "" if hidden else m.body,
        "created_at": m.created_at,
        "hidden": hidden,
    }


@router.get("/conversations", response=responses({200: schemas.ConversationPage}), summary="My conversations")
@readcache.cached_read(pagescopes.inbox_scopes)
def conversations(request, page: Query[PageQuery], archived: bool = False):
    links = access.inbox_links(request.user, archived=archived)
    return page_of(links, page, lambda link: _conversation(link, request.user.pk))


@router.get(
    "/conversations/{conversation_id}/messages",
    response=responses({200: schemas.MessagePage}),
    summary="Messages of a conversation, newest first",
)
def messages(request, conversation_id: int, page: Query[PageQuery]):
    conv = access.access_conversation(request.user, conversation_id)
    return page_of(access.messages_of(conv), page, _message)


@router.post(
    "/conversations/{conversation_id}/messages",
    response=responses({201: schemas.Message}),
    summary="Send a message",
)
def send(request, conversation_id: int, body: schemas.NewMessage):
    conv = access.access_conversation(request.user, conversation_id)
    message = actions.do_send_message(request.user, conv, body.body)
    return Status(201, _message(message))


@router.post(
    "/conversations/{conversation_id}/read",
    response=responses({200: schemas.Read}),
    summary="Mark the conversation read",
    url_name="conversation_read",
)
def mark_read(request, conversation_id: int):
    conv = access.access_conversation(request.user, conversation_id)
    return {"read_up_to": actions.do_mark_read(request.user, conv)}
