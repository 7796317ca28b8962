"""Messaging actions on the project's one socket (ent.notify.consumers.UserSocketConsumer, path ws/).

Client → server frames (each may carry a "ref" echoed back in the answer):
  {"action": "messaging.send", "conversation": id, "body": "...", "format": "text"|"html"}
  {"action": "messaging.start", "recipients": [ids], "subject": "...", "body": "..."}
  {"action": "messaging.read", "conversation": id, "up_to": message_id}
  {"action": "messaging.history", "conversation": id, "before": message_id?}
  {"action": "messaging.catch_up", "after": last_message_id_seen}
Server → client: answers "messaging.sent", "messaging.started", "messaging.read",
"messaging.history", "messaging.missed"; pushes (see messaging/live.py)
"messaging.message", "messaging.receipt", "messaging.unread", "messaging.edited",
"messaging.hidden", "messaging.closed", "messaging.announcement",
"messaging.confirmation"; and {"type": "error", "error": ..., "action": ..., "ref": ...}.

Each handler runs the same actions as the HTTP views, with the same access
checks, in a worker thread. The person is re-read for each action so that the
policy is checked against today's roles, not those of when the socket opened.
"""

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from ent.directory.models import User
from ent.errors import EntError
from ent.notify.consumers import register_action
from messaging import access, actions, live
from messaging.forms import MessageForm, NewConversationForm
from messaging.models import Message

HISTORY_PAGE = 50


class FrameError(Exception):
    pass


def _int(content, key, *, required=True, default=None):
    value = content.get(key, default)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FrameError(_("“%(key)s” must be a number.") % {"key": key})
    try:
        return int(value)
    except ValueError:
        raise FrameError(_("“%(key)s” must be a number.") % {"key": key}) from None


def _str(content, key):
    value = content.get(key, "")
    if not isinstance(value, str):
        raise FrameError(_("“%(key)s” must be text.") % {"key": key})
    return value


def _fresh_user(consumer):
    # Read again for every action of the socket: a blocked account stops at once.
    user = User.objects.filter(pk=consumer.user.pk, is_active=True).first()
    if user is None:
        raise User.DoesNotExist
    return user


class FormInvalid(FrameError):
    """The frame's text failed the same form the HTTP page uses."""

    def __init__(self, form):
        self.fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        super().__init__(next(iter(self.fields.values()))[0])


def _valid(form):
    """The HTTP page's form, run on the frame: one set of rules (lengths, NUL and
    control characters, recipients) for both ways in."""
    if not form.is_valid():
        raise FormInvalid(form)
    return form.cleaned_data


def _send(user, content):
    conversation = access.access_conversation(user, _int(content, "conversation"))
    rich = content.get("format") == "html"
    data = _valid(MessageForm({"body": _str(content, "body")}))
    message = actions.do_send_message(user, conversation, data["body"], rich=rich)
    return {"type": "messaging.sent", "message": live.serialize_message(message, author_name=str(user))}


def _start(user, content):
    recipients = content.get("recipients")
    if not isinstance(recipients, list) or not all(isinstance(r, int) and not isinstance(r, bool) for r in recipients):
        raise FrameError(_("“recipients” must be a list of person ids."))
    form = NewConversationForm(
        {"recipients": recipients, "subject": _str(content, "subject"), "body": _str(content, "body")},
        people=access.picker_people(user),
    )
    data = _valid(form)
    conversation = actions.do_start_conversation(
        user, [p.pk for p in data["recipients"]], data["subject"], data["body"], rich=content.get("format") == "html"
    )
    return {"type": "messaging.started", "conversation": conversation.pk, "message": conversation.last_message_id}


def _read(user, content):
    conversation = access.access_conversation(user, _int(content, "conversation"))
    up_to = _int(content, "up_to", required=False)
    target = actions.do_mark_read(user, conversation, up_to)
    return {"type": "messaging.read", "conversation": conversation.pk, "up_to": target}


def _history(user, content):
    conversation = access.access_conversation(user, _int(content, "conversation"))
    before = _int(content, "before", required=False)
    qs = Message.objects.filter(conversation=conversation).select_related("author").prefetch_related("attachments")
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: HISTORY_PAGE + 1])
    return {
        "type": "messaging.history",
        "conversation": conversation.pk,
        "messages": [live.serialize_message(m) for m in reversed(rows[:HISTORY_PAGE])],
        "more": len(rows) > HISTORY_PAGE,
    }


def _catch_up(user, content):
    after = _int(content, "after", default=0)
    rows, more = live.messages_since(user, max(after, 0))
    return {
        "type": "messaging.missed",
        "messages": rows,
        "more": more,
        "last_id": rows[-1]["id"] if rows else after,
        "unread": live.unread_totals([user.pk])[user.pk],
    }


def _run(work):
    """Wrap a sync handler: fresh user, errors as frames (same message for a
    missing and a forbidden conversation)."""

    def run(consumer, content):
        try:
            answer = work(_fresh_user(consumer), content)
        except (Http404, User.DoesNotExist):
            return {"type": "error", "error": _("Not found.")}
        except PermissionDenied:
            return {"type": "error", "error": _("You may not do this.")}
        except FormInvalid as exc:
            return {"type": "error", "error": str(exc), "fields": exc.fields}
        except FrameError as exc:
            return {"type": "error", "error": str(exc)}
        except EntError as exc:
            return {"type": "error", "error": str(exc.message)}
        return answer

    sync_run = database_sync_to_async(run)

    async def handler(consumer, content):
        answer = await sync_run(consumer, content)
        answer["action"] = content.get("action")
        if "ref" in content and isinstance(content["ref"], str | int):
            answer["ref"] = content["ref"]
        await consumer.send_json(answer)

    return handler


ACTIONS = {
    "messaging.send": _send,
    "messaging.start": _start,
    "messaging.read": _read,
    "messaging.history": _history,
    "messaging.catch_up": _catch_up,
}
HANDLERS = {name: _run(work) for name, work in ACTIONS.items()}


def register():
    for name, handler in HANDLERS.items():
        register_action(name, handler)
