"""Access matrix of the messaging (see tests/security/matrix.py).

Rows made on demand: a conversation between `guardian` and `teacher` with a
message by the teacher that the guardian reported, a second message carrying an
attachment row, and an announcement from `direction` to `klass`'s families asking
for a read confirmation. Direction reads a conversation only once a message in
it is reported; nobody else but its two participants ever does.
"""

from tests.security.matrix import Route, expect, only

PARTICIPANTS = ["guardian", "teacher"]
CLASS_FAMILIES = ["guardian", "guardian2", "guardian_nojustify", "outsider_parent"]
SCHOOL_A_STAFF = ["vie_scolaire", "direction", "referent"]


def _rows(w):
    rows = getattr(w, "_messaging_rows", None)
    if rows is not None:
        return rows
    from ent.directory.models import User
    from messaging import actions
    from messaging.models import Announcement, Attachment

    teacher = User.objects.get(pk=w.teacher.pk)
    conversation = actions.do_start_conversation(teacher, [w.guardian.pk], "Sortie", "Bonjour")
    message = conversation.messages.get()
    report = actions.do_report_message(User.objects.get(pk=w.guardian.pk), message, "Ton")
    with_file = actions.do_send_message(teacher, conversation, "Le programme")
    attachment = Attachment.objects.create(
        message=with_file,
        key="messaging/matrix",
        filename="programme.pdf",
        content_type="application/pdf",
        size=9,
        scan="offered",  # scanned already: this matrix is about who may open it
    )
    announcement = actions.do_send_announcement(
        User.objects.get(pk=w.direction.pk),
        title="Réunion",
        body="Merci de confirmer",
        audience=Announcement.Audience.CLASS,
        target=w.klass,
        requires_confirmation=True,
    )
    w._messaging_rows = rows = {
        "conversation": conversation,
        "message": message,
        "report": report,
        "attachment": attachment,
        "announcement": announcement,
    }
    return rows


def _conv(w):
    return {"conversation_id": _rows(w)["conversation"].pk}


def _msg(w):
    return {"message_id": _rows(w)["message"].pk}


def _ann(w):
    return {"announcement_id": _rows(w)["announcement"].pk}


ANNOUNCEMENT_READERS = CLASS_FAMILIES + SCHOOL_A_STAFF

ROUTES = {
    "messaging:inbox": Route(expect(200)),
    "messaging:new": Route(expect(200)),
    "messaging:conversation": Route(only(PARTICIPANTS), kwargs=_conv),
    "messaging:post": Route(
        only(PARTICIPANTS, status=302), kwargs=_conv, method="post", data=lambda w: {"body": "Oui"}
    ),
    "messaging:archive": Route(only(PARTICIPANTS, status=302), kwargs=_conv, method="post"),
    "messaging:message": Route(
        only(PARTICIPANTS), kwargs=_msg, note="the fragment live.js fetches for a message that arrived live"
    ),
    "messaging:edit": Route(
        only(["teacher"], guardian=403), kwargs=_msg, note="the guardian reads it, only its author edits"
    ),
    "messaging:delete": Route(only(["teacher"], status=302, guardian=403), kwargs=_msg, method="post"),
    "messaging:report": Route(only(PARTICIPANTS), kwargs=_msg),
    "messaging:attachment": Route(
        only(PARTICIPANTS, status=302),
        kwargs=lambda w: {"attachment_id": _rows(w)["attachment"].pk},
        note="a presigned URL is signed locally: no S3 server needed",
    ),
    "messaging:reports": Route(only(["direction", "staff_b"]), note="each direction sees its own school's reports"),
    "messaging:moderate": Route(only(["direction"]), kwargs=_conv),
    "messaging:close": Route(only(["direction"], status=302), kwargs=_conv, method="post"),
    "messaging:hide": Route(only(["direction"], status=302), kwargs=_msg, method="post"),
    "messaging:dismiss_report": Route(
        only(["direction"], status=302), kwargs=lambda w: {"report_id": _rows(w)["report"].pk}, method="post"
    ),
    "messaging:policy": Route(only(["direction"]), kwargs=lambda w: {"school_id": w.school.pk}),
    "messaging:announcements": Route(expect(200)),
    "messaging:new_announcement": Route(
        only(["teacher", "other_teacher", "vie_scolaire", "direction", "staff_b"]),
        note="teachers to the classes they teach, office staff to their school",
    ),
    "messaging:announcement": Route(only(ANNOUNCEMENT_READERS), kwargs=_ann),
    "messaging:confirm": Route(
        only(CLASS_FAMILIES, status=302, **dict.fromkeys(SCHOOL_A_STAFF, 403)), kwargs=_ann, method="post"
    ),
    "messaging:remind": Route(
        only(["direction"], status=302, **dict.fromkeys(CLASS_FAMILIES + ["vie_scolaire", "referent"], 403)),
        kwargs=_ann,
        method="post",
    ),
    "messaging:reply": Route(
        only(CLASS_FAMILIES, status=302, **dict.fromkeys(SCHOOL_A_STAFF, 403)),
        kwargs=_ann,
        method="post",
        data=lambda w: {"body": "Bien reçu"},
    ),
}
