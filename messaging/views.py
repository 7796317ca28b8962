"""Thin views: form → access → one action → response. Every page works without
JavaScript (plain posts and links); messaging/static/messaging/live.js adds live
delivery on top."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ent import errors, pagecache
from ent import files as gate
from ent.ids import int_id
from messaging import access, actions, pagescopes
from messaging.forms import (
    AnnouncementForm,
    ArchiveForm,
    EditMessageForm,
    MessageForm,
    NewConversationForm,
    PolicyForm,
    ReplyForm,
    ReportForm,
    SearchForm,
)
from messaging.models import DEFAULT_POLICY

CONVERSATIONS_PER_PAGE = 20
MESSAGES_PER_PAGE = 30
ANNOUNCEMENTS_PER_PAGE = 20


@login_required
@require_GET
@pagecache.cached_page(pagescopes.inbox_scopes)
def inbox(request):
    user = request.user
    search = SearchForm(request.GET or None)
    q, archived = "", False
    if search.is_valid():
        q, archived = search.cleaned_data["q"].strip(), search.cleaned_data["archived"]
    links = access.inbox_links(user, archived=archived, q=q)
    page = Paginator(links, CONVERSATIONS_PER_PAGE).get_page(request.GET.get("page"))
    for link in page.object_list:
        link.others = [p.user for p in link.conversation.participants.all() if p.user_id != user.pk]
    # Only the first page of the inbox takes in new conversations live: they
    # come first, and an archived one is no longer archived once a message arrives.
    refresh_url = ""
    if page.number == 1 and not archived:
        params = {"fragment": "list", "q": q} if q else {"fragment": "list"}
        refresh_url = f"{reverse('messaging:inbox')}?{urlencode(params)}"
    listing = {"page": page, "q": q, "archived": archived, "refresh_url": refresh_url}
    if request.GET.get("fragment") == "list":
        return render(request, "messaging/_inbox_list.html", listing)
    return render(
        request,
        "messaging/inbox.html",
        {
            **listing,
            "search": search,
            "can_write": bool(access.messaging_schools(user)),
            "can_announce": access.may_announce(user),
            "is_moderator": bool(access.moderated_school_ids(user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_conversation(request):
    people = access.picker_people(request.user)
    initial = {}
    to = int_id(request.GET.get("to"))
    if to:
        initial["recipients"] = [to]
    form = NewConversationForm(
        request.POST or None,
        request.FILES or None,
        people=people,
        children=access.about_children(request.user),
        teaching=access.teaching_labels(request.user, people),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            with errors.reported(request, _("Your message was sent."), form=form) as outcome:
                conversation = actions.do_start_conversation(
                    request.user,
                    [p.pk for p in data["recipients"]],
                    data["subject"],
                    data["body"],
                    about=form.about_child(),
                    files=data["files"],
                )
            if outcome.ok:
                return redirect("messaging:conversation", conversation.pk)
            status = outcome.status
    return render(request, "messaging/new.html", {"form": form, "has_people": people.exists()}, status=status)


def _conversation_context(request, conversation, *, moderating=False, form=None):
    user = request.user
    participants = access.participants_of(conversation)
    before = int_id(request.GET.get("before"))
    rows = list(access.messages_of(conversation, before=before)[: MESSAGES_PER_PAGE + 1])
    older = rows[MESSAGES_PER_PAGE].id + 1 if len(rows) > MESSAGES_PER_PAGE else None
    rows = list(reversed(rows[:MESSAGES_PER_PAGE]))
    others = [p for p in participants if p.user_id != user.pk]
    for m in rows:
        # Read receipts from the readers' marks: no row per message per reader.
        m.read_by = [p.user for p in others if p.last_read_id >= m.id] if m.author_id == user.pk else []
        m.can_edit = access.can_edit_message(user, m, conversation)
    me = next((p for p in participants if p.user_id == user.pk), None)
    return {
        "conversation": conversation,
        "participants": participants,
        "me": me,
        "messages_page": rows,
        "older": older,
        "newer": before is not None,
        "form": form or MessageForm(),
        "moderating": moderating,
        "can_moderate": access.is_moderator(user, conversation.school_id),
        "last_id": rows[-1].id if rows else 0,
    }


@login_required
@require_GET
def conversation(request, conversation_id):
    conv = access.access_conversation(request.user, conversation_id)
    context = _conversation_context(request, conv)
    if not context["newer"] and context["me"]:
        # Opening the latest page is reading it (the only way without JavaScript).
        actions.do_mark_read(request.user, conv)
    return render(request, "messaging/conversation.html", context)


@login_required
@require_GET
def message_fragment(request, message_id):
    """One message as the conversation page lists it, actions included: live.js
    swaps it in for a message that arrived over the socket (same template, same
    CSRF token, same rules as after a reload)."""
    message = access.access_message(request.user, message_id)
    message.can_edit = access.can_edit_message(request.user, message)
    # Just sent: nobody has read it yet (the receipts then come over the socket).
    message.read_by = []
    response = render(request, "messaging/_message.html", {"m": message, "moderating": False})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def post_message(request, conversation_id):
    conv = access.access_conversation(request.user, conversation_id)
    form = MessageForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        with errors.reported(request, form=form) as outcome:
            message = actions.do_send_message(
                request.user, conv, form.cleaned_data["body"], files=form.cleaned_data["files"]
            )
        if outcome.ok:
            return redirect(reverse("messaging:conversation", args=[conv.pk]) + f"#m{message.id}")
        status = outcome.status
    context = _conversation_context(request, conv, form=form)
    return render(request, "messaging/conversation.html", context, status=status)


@login_required
@require_POST
def archive(request, conversation_id):
    conv = access.access_conversation(request.user, conversation_id)
    form = ArchiveForm(request.POST)
    form.is_valid()
    archived = form.cleaned_data.get("archived", False)
    actions.do_set_archived(request.user, conv, archived)
    messages.success(request, _("Conversation archived.") if archived else _("Conversation moved back to the inbox."))
    return redirect("messaging:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def edit_message(request, message_id):
    message = access.access_message(request.user, message_id, for_write=True)
    form = EditMessageForm(request.POST or None, initial={"body": message.body})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            with errors.reported(request, _("Your message was changed."), form=form) as outcome:
                actions.do_edit_message(request.user, message, form.cleaned_data["body"])
            if outcome.ok:
                return redirect(reverse("messaging:conversation", args=[message.conversation_id]) + f"#m{message.id}")
            status = outcome.status
    return render(request, "messaging/edit.html", {"form": form, "message": message}, status=status)


@login_required
@require_POST
def delete_message(request, message_id):
    message = access.access_message(request.user, message_id, for_write=True)
    with errors.reported(request, _("Your message was deleted.")):
        actions.do_delete_message(request.user, message)
    return redirect(reverse("messaging:conversation", args=[message.conversation_id]) + f"#m{message.id}")


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request, message_id):
    message = access.access_message(request.user, message_id)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            thanks = _("Thank you: the school's direction will look at this message.")
            with errors.reported(request, thanks, form=form) as outcome:
                actions.do_report_message(request.user, message, form.cleaned_data["reason"])
            if outcome.ok:
                return redirect("messaging:conversation", message.conversation_id)
            status = outcome.status
    return render(request, "messaging/report.html", {"form": form, "message": message}, status=status)


@login_required
@require_GET
def attachment(request, attachment_id):
    item = access.access_attachment(request.user, attachment_id)
    with errors.reported(request):
        return gate.download(request, item, gate.MESSAGE_ATTACHMENT)
    return redirect("messaging:inbox")


# --- Moderation -------------------------------------------------------------


@login_required
@require_GET
def reports(request):
    schools = access.access_moderated_schools(request.user)
    rows = (
        access.reports_visible_to(request.user)
        .select_related("message__author", "message__conversation", "reporter")
        .order_by("handled_at", "-created_at")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "messaging/reports.html", {"page": page, "school_ids": sorted(schools)})


@login_required
@require_GET
def moderate_conversation(request, conversation_id):
    conv = access.access_conversation_for_moderation(request.user, conversation_id)
    return render(request, "messaging/conversation.html", _conversation_context(request, conv, moderating=True))


@login_required
@require_POST
def hide_message(request, message_id):
    message = access.access_message(request.user, message_id, for_moderation=True)
    actions.do_hide_message(request.user, message)
    messages.success(request, _("The message is hidden. It is kept for the record."))
    return redirect("messaging:moderate", message.conversation_id)


@login_required
@require_POST
def close_conversation(request, conversation_id):
    conv = access.access_conversation_for_moderation(request.user, conversation_id)
    actions.do_close_conversation(request.user, conv)
    messages.success(request, _("The conversation is closed: nobody can write in it any more."))
    return redirect("messaging:moderate", conv.pk)


@login_required
@require_http_methods(["GET", "POST"])
def policy(request, school_id):
    school = access.access_school_policy(request.user, school_id)
    current = access.policy_for(school.id)
    initial = {f: getattr(current, f) for f in ("pupils_may_write", "pupils_may_start", "parents_may_start")}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_set_policy(request.user, school, **form.cleaned_data)
        messages.success(request, _("The messaging rules of the school were saved."))
        return redirect("messaging:policy", school.id)
    return render(
        request, "messaging/policy.html", {"form": form, "school": school, "is_default": current is DEFAULT_POLICY}
    )


# --- Announcements ----------------------------------------------------------


@login_required
@require_GET
def announcements(request):
    user = request.user
    received = access.received_announcements(user)
    sent = access.sent_announcements(user)
    return render(
        request,
        "messaging/announcements.html",
        {
            "received": Paginator(received, ANNOUNCEMENTS_PER_PAGE).get_page(request.GET.get("page")),
            "sent": Paginator(sent, ANNOUNCEMENTS_PER_PAGE).get_page(request.GET.get("sent_page")),
            "can_announce": access.may_announce(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_announcement(request):
    classes, groups, schools = access.access_announce_targets(request.user)
    form = AnnouncementForm(request.POST or None, classes=classes, groups=groups, schools=schools)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            audience, target = form.cleaned_data["target"]
            with errors.reported(request, _("The announcement was sent."), form=form) as outcome:
                announcement = actions.do_send_announcement(
                    request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    audience=audience,
                    target=target,
                    requires_confirmation=form.cleaned_data["requires_confirmation"],
                )
            if outcome.ok:
                return redirect("messaging:announcement", announcement.pk)
    return render(request, "messaging/announcement_new.html", {"form": form}, status=status)


@login_required
@require_GET
def announcement(request, announcement_id):
    item = access.access_announcement(request.user, announcement_id)
    link = access.recipient_link(request.user, item)
    if link is not None and link.read_at is None:
        actions.do_mark_announcement_read(request.user, item)
    context = {"announcement": item, "link": link, "reply_form": ReplyForm()}
    if access.may_see_recipients(request.user, item):
        context["stats"] = actions.announcement_stats(item)
        context["recipients"] = access.recipients_of(item)
    return render(request, "messaging/announcement.html", context)


@login_required
@require_POST
def confirm_announcement(request, announcement_id):
    item = access.access_announcement(request.user, announcement_id, for_confirmation=True)
    with errors.reported(request, _("Thank you: the school knows you have read this announcement.")):
        actions.do_confirm_announcement(request.user, item)
    return redirect("messaging:announcement", item.pk)


@login_required
@require_POST
def remind_announcement(request, announcement_id):
    item = access.access_announcement(request.user, announcement_id, for_write=True)
    with errors.reported(request) as outcome:
        count = actions.do_remind_announcement(request.user, item)
    if not outcome.ok:
        return redirect("messaging:announcement", item.pk)
    if count:
        messages.success(request, _("A reminder was sent to %(n)d families.") % {"n": count})
    else:
        messages.info(request, _("Everybody has already answered: no reminder sent."))
    return redirect("messaging:announcement", item.pk)


@login_required
@require_POST
def reply_announcement(request, announcement_id):
    item = access.access_announcement(request.user, announcement_id, for_reply=True)
    form = ReplyForm(request.POST)
    if form.is_valid():
        sent = _("Your reply was sent to %(name)s only.") % {"name": item.author}
        with errors.reported(request, sent, form=form) as outcome:
            conv = actions.do_reply_to_announcement(request.user, item, form.cleaned_data["body"])
        if outcome.ok:
            return redirect("messaging:conversation", conv.pk)
    context = {"announcement": item, "link": access.recipient_link(request.user, item), "reply_form": form}
    return render(request, "messaging/announcement.html", context, status=400)


@login_required
@require_POST
def dismiss_report(request, report_id):
    report = access.access_report(request.user, report_id)
    actions.do_dismiss_report(request.user, report)
    messages.success(request, _("The report is marked as handled."))
    return redirect("messaging:reports")
