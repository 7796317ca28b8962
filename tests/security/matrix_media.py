"""Access matrix entries for the media app (resources, fleets, tablets).

Each route gets its own fresh world, so rows are made inside the kwargs callables.
State-changing routes run the personas in PERSONAS order on the same row: where a
persona's outcome depends on an earlier one (direction before referent), the note
says so.
"""

from datetime import timedelta

from django.utils import timezone

from tests.security.matrix import FAMILY, LOGIN, Route, expect, only

ADULTS_OF_SCHOOL = ["teacher", "other_teacher", "vie_scolaire", "direction", "referent"]
APPROVERS = ["direction", "referent"]
PROPOSERS = ["teacher", "other_teacher", "direction", "referent", "staff_b"]
# Who sees an approved item assigned to world.klass: its pupils' families (the
# outsider family has a child in that class too) and the school's adults.
SEES_ITEM = FAMILY + ADULTS_OF_SCHOOL + ["outsider_parent"]


def _cached(w, name, make):
    if not hasattr(w, name):
        setattr(w, name, make(w))
    return getattr(w, name)


def _link(w):
    from media import actions

    def make(w):
        item = actions.do_propose_item(
            w.teacher, w.school, {"kind": "link", "title": "Dictionnaire", "url": "https://fr.wiktionary.org/"}
        )
        actions.do_approve(w.referent, item, None)
        actions.do_assign(w.referent, item, [w.klass], [])
        return item

    return _cached(w, "_media_link", make)


def _proposed_doc(w):
    from media.models import Item, Version

    def make(w):
        item = Item.objects.create(school=w.school, kind="document", title="Brouillon", created_by=w.teacher)
        Version.objects.create(
            item=item,
            number=1,
            key="media/matrix/none",
            filename="a.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_by=w.teacher,
        )
        return item

    return _cached(w, "_media_doc", make)


def _fleet(w):
    from media.models import Fleet

    return _cached(w, "_media_fleet", lambda w: Fleet.objects.create(school=w.school, name="Classe mobile"))


def _tablet(w):
    from media import actions

    return _cached(w, "_media_tablet", lambda w: actions.do_enrol_tablet(w.referent, _fleet(w), "T1")[0])


def _fleet_item(w):
    from media.models import FleetItem

    item = _link(w)
    FleetItem.objects.get_or_create(fleet=_fleet(w), item=item)
    return item


def _ticket(w):
    from media.models import UploadTicket

    return UploadTicket.objects.create(
        key="media/matrix/ticket",
        school=w.school,
        filename="a.pdf",
        size=10,
        created_by=w.teacher,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _icon(w):
    from media.models import Illustration

    return Illustration.objects.create(
        item=_link(w),
        role="icon",
        key="media/matrix/icon",
        filename="i.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )


def _item_kw(w):
    return {"item_id": _link(w).id}


VISIBLE_NOT_APPROVER = [p for p in SEES_ITEM if p not in APPROVERS]

ROUTES = {
    "media:mine": Route(expect(200)),
    "media:catalogue": Route(only(ADULTS_OF_SCHOOL + ["staff_b"])),
    "media:propose": Route(only(PROPOSERS)),
    "media:item": Route(only(SEES_ITEM), kwargs=_item_kw),
    "media:open": Route(only(SEES_ITEM, status=302), kwargs=_item_kw, note="a link: redirect to its address"),
    "media:download": Route(expect(404), kwargs=_item_kw, note="a link has no file to download"),
    "media:add_version": Route(
        only(
            ["teacher"] + APPROVERS,
            status=302,
            **dict.fromkeys([p for p in VISIBLE_NOT_APPROVER if p != "teacher"], 403),
        ),
        method="post",
        kwargs=_item_kw,
        note="visible but not the author or an approver: 403 (read-only)",
    ),
    "media:add_illustration": Route(
        only(
            ["teacher"] + APPROVERS,
            status=302,
            **dict.fromkeys([p for p in VISIBLE_NOT_APPROVER if p != "teacher"], 403),
        ),
        method="post",
        kwargs=_item_kw,
        note="no file sent: back to the item with a message",
    ),
    "media:illustration": Route(
        expect(404),
        kwargs=lambda w: {"illustration_id": _icon(w).id},
        note="the image is not scanned yet: nobody gets it (tests/media/test_illustrations.py covers clean ones)",
    ),
    "media:approve": Route(
        only(APPROVERS, status=302, **dict.fromkeys(VISIBLE_NOT_APPROVER, 403)), method="post", kwargs=_item_kw
    ),
    "media:reject": Route(
        only(APPROVERS, status=302, **dict.fromkeys([p for p in VISIBLE_NOT_APPROVER if p != "outsider_parent"], 403)),
        method="post",
        kwargs=_item_kw,
        data=lambda w: {"reason": "Publicité"},
        note="direction rejects first: the outsider family (after) no longer sees it",
    ),
    "media:withdraw": Route(
        only(APPROVERS, status=302, **dict.fromkeys([p for p in VISIBLE_NOT_APPROVER if p != "outsider_parent"], 403)),
        method="post",
        kwargs=_item_kw,
        note="direction withdraws first: the outsider family (after) no longer sees it",
    ),
    "media:assign": Route(
        only(APPROVERS, status=302, **dict.fromkeys(VISIBLE_NOT_APPROVER, 403)),
        method="post",
        kwargs=_item_kw,
        data=lambda w: {"classes": [w.klass.id]},
    ),
    "media:delete": Route(
        only(["teacher"], status=302),
        method="post",
        kwargs=lambda w: {"item_id": _proposed_doc(w).id},
        note="the author deletes it first; everyone after gets 404",
    ),
    "media:delete_version": Route(
        only(["teacher"], status=302),
        method="post",
        kwargs=lambda w: {"version_id": _proposed_doc(w).versions.get().id},
        note="the author deletes it first; everyone after gets 404",
    ),
    "media:upload_start": Route(only(PROPOSERS, status=400), method="post", note="empty form: 400 with the errors"),
    "media:upload_finish": Route(
        only(["teacher"], status=None),
        method="post",
        kwargs=lambda w: {"ticket_id": _ticket(w).id},
        note="the ticket's owner: the answer depends on the object store (not running here)",
    ),
    "media:fleets": Route(only(APPROVERS + ["staff_b", "admin"])),
    "media:fleet": Route(only(APPROVERS + ["admin"]), kwargs=lambda w: {"fleet_id": _fleet(w).id}),
    "media:tablet_enrol": Route(only(APPROVERS, admin=403), method="post", kwargs=lambda w: {"fleet_id": _fleet(w).id}),
    "media:fleet_add_item": Route(
        only(APPROVERS, status=302, admin=403), method="post", kwargs=lambda w: {"fleet_id": _fleet(w).id}
    ),
    "media:fleet_remove_item": Route(
        only(["direction"], status=302, admin=403),
        method="post",
        kwargs=lambda w: {"fleet_id": _fleet(w).id, "item_id": _fleet_item(w).id},
        note="direction removes it first; the referent then finds nothing (404)",
    ),
    "media:fleet_build_repo": Route(
        only(APPROVERS, status=302, admin=403), method="post", kwargs=lambda w: {"fleet_id": _fleet(w).id}
    ),
    "media:tablet_revoke": Route(
        only(APPROVERS, status=302, admin=403), method="post", kwargs=lambda w: {"tablet_id": _tablet(w).id}
    ),
    "media:manifest": Route(expect(401, anonymous=401), note="device token only; none sent: 401"),
    "media:tablet_apk": Route(
        expect(401, anonymous=401), kwargs=lambda w: {"version_id": 1}, note="device token only; none sent: 401"
    ),
    "media:fdroid_file": Route(
        expect(404, anonymous=404),
        kwargs=lambda w: {"secret": _fleet(w).repo_secret, "name": "index-v1.jar"},
        note="not built yet: 404 for everyone (the secret URL is the only credential)",
    ),
}

assert LOGIN
