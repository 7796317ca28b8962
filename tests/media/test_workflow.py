"""Proposal → scan → approval → assignment → visibility → withdrawal."""

import pytest
from django.urls import reverse

from ent.files import ScanState
from ent.notify.models import Notification
from media import actions
from media.files import FileRefused
from media.models import Decision, Item, Version
from tests.media.conftest import INFECTED_PDF, PDF, upload
from tests.media.helpers import link_item, offered_item, propose

pytestmark = pytest.mark.django_db


def test_streamed_pdf_is_stored_scanned_and_awaits_approval(world, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world, description="<script>x</script> voir https://example.org")
    version = item.versions.get()
    assert version.scan == ScanState.OFFERED
    assert version.review == Version.Review.PENDING
    assert version.size == len(PDF)
    assert store.stat(version.key).size == len(PDF)
    assert "<script>" not in item.description_html
    assert 'href="https://example.org"' in item.description_html
    assert item.status == Item.Status.PROPOSED
    assert not Item.objects.mine(world.pupil).exists()


def test_infected_file_is_quarantined_and_uploader_told(world, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world, data=INFECTED_PDF)
    version = item.versions.get()
    assert version.scan == ScanState.INFECTED
    assert version.scan_signature.startswith("Test.Infected.PDF")
    assert version.key == ""
    assert list(store.list_keys()) == []
    notice = Notification.objects.get(recipient=world.teacher, kind="resource.infected")
    # The notice opens the resource's page, the version rejected for good.
    assert (notice.object_id, notice.context["url"]) == (item.id, reverse("media:item", args=[item.id]))
    assert version.review == Version.Review.REJECTED and version.scanned_at is not None
    with pytest.raises(FileRefused):
        actions.do_approve(world.referent, item, version)


def test_scan_postponed_when_clamd_is_down(world, s3, settings, django_capture_on_commit_callbacks):
    settings.CLAMD_SOCKET = "/tmp/nonexistent-ent-clamd.sock"
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world)
    version = item.versions.get()
    assert version.scan == ScanState.HELD
    with pytest.raises(FileRefused):
        actions.do_approve(world.referent, item, version)


def test_approval_assignment_and_visibility(world, store, django_capture_on_commit_callbacks):
    item = offered_item(world, django_capture_on_commit_callbacks)
    assert item.status == Item.Status.APPROVED
    decision = Decision.objects.get(item=item)
    assert (decision.verdict, decision.decided_by, decision.version_number) == ("approved", world.referent, 1)
    assert Notification.objects.filter(recipient=world.teacher, kind="resource.approved").exists()
    assert list(Item.objects.mine(world.pupil)) == [item]
    assert list(Item.objects.mine(world.guardian, child_id=world.pupil.id)) == [item]
    assert not Item.objects.mine(world.guardian, child_id=world.sibling.id).exists()
    assert not Item.objects.mine(world.other_pupil).exists()
    assert not Item.objects.mine(world.outsider_parent, child_id=world.pupil.id).exists()
    assert not Item.objects.visible_to(world.staff_b).exists()
    assert not Item.objects.visible_to(world.teacher_b).exists()
    assert not Item.objects.visible_to(world.parent_b).exists()
    # Withdrawal: gone at once.
    actions.do_withdraw(world.referent, item, "plus utile")
    assert not Item.objects.mine(world.pupil).exists()
    assert Decision.objects.filter(item=item, verdict="withdrawn", decided_by=world.referent).exists()


def test_group_assignment_reaches_group_members_only(world, store, django_capture_on_commit_callbacks):
    item = offered_item(world, django_capture_on_commit_callbacks, assign_class=False)
    actions.do_assign(world.referent, item, [], [world.group])
    assert list(Item.objects.mine(world.pupil)) == [item]
    assert list(Item.objects.mine(world.guardian, child_id=world.pupil.id)) == [item]
    assert not Item.objects.mine(world.outsider_pupil).exists()


def test_assignment_to_another_school_is_refused(world, db):
    item = link_item(world, assign_class=False)
    with pytest.raises(FileRefused):
        actions.do_assign(world.referent, item, [world.class_b], [])
    assert not item.assignments.exists()


def test_reject_needs_a_reason_and_tells_the_author(world, db):
    item = propose(world, kind="link", url="https://example.org/")
    with pytest.raises(FileRefused):
        actions.do_reject(world.referent, item, None, "  ")
    actions.do_reject(world.referent, item, None, "Publicité")
    item.refresh_from_db()
    assert item.status == Item.Status.REJECTED
    n = Notification.objects.get(recipient=world.teacher, kind="resource.rejected")
    assert n.context.get("reason") == "Publicité"


def test_type_checked_by_content(world, store):
    for data, name in [(b"MZ\x90\x00" + b"\0" * 100, "devoir.pdf"), (b"hello", "x.pdf"), (PDF, "video.mp4")]:
        kind = "video" if name.endswith("mp4") else "document"
        with pytest.raises(FileRefused):
            propose(world, kind=kind, data=data, name=name)
    assert not Item.objects.exists()
    assert list(store.list_keys()) == []


def test_path_tricks_in_file_names_are_neutralised(world, store):
    item = propose(world, name="../../etc/passwd.pdf")
    version = item.versions.get()
    assert version.filename == "passwd.pdf"
    assert version.key.startswith(f"media/{world.school.id}/") and ".." not in version.key
    item = propose(world, name="C:\\Users\\x\\\x00cours.pdf")
    assert item.versions.get().filename == "cours.pdf"


def test_size_limit_and_quotas_are_checked_before_storing(world, store, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = len(PDF) - 1
    with pytest.raises(FileRefused, match="too large"):
        propose(world)
    settings.MEDIA_MAX_UPLOAD_BYTES = 10**9
    settings.MEDIA_QUOTA_TEACHER_BYTES = len(PDF) * 2
    propose(world)
    propose(world)
    with pytest.raises(FileRefused, match="quota"):
        propose(world)
    settings.MEDIA_QUOTA_TEACHER_BYTES = 10**9
    settings.MEDIA_QUOTA_SCHOOL_BYTES = len(PDF) * 3 - 1
    with pytest.raises(FileRefused, match="school"):
        propose(world, user=world.referent)
    assert Version.objects.count() == 2
    assert len(list(store.list_keys())) == 2


def test_failed_row_write_deletes_the_object(world, store, monkeypatch):
    from media.actions import items

    def boom(*a, **k):
        raise RuntimeError("database fell over")

    # Patched where record() looks it up (media.actions.items), inside the transaction.
    monkeypatch.setattr(items, "apk_fields", boom)
    with pytest.raises(RuntimeError):
        propose(world)
    assert list(store.list_keys()) == []
    assert not Item.objects.exists()


def test_store_down_means_nothing_recorded(world, s3, settings, client, login_as):
    from ent import storage

    endpoint = settings.S3_ENDPOINT
    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    login_as(world.teacher)
    try:
        response = client.post(
            reverse("media:propose"),
            {"school": world.school.id, "kind": "document", "title": "Cours", "file": upload(PDF)},
        )
    finally:
        settings.S3_ENDPOINT = endpoint
        storage.reset_clients()
    assert response.status_code == 503
    assert "unavailable" in response.content.decode() or "indisponible" in response.content.decode()
    assert not Item.objects.exists()


def test_single_item_check_agrees_with_the_list_rules(world, db):
    """access.may_see (one item, used on every download) and visible_to (lists)
    give the same answer for every persona and every state."""
    from media.access import may_see

    proposed = propose(world, kind="link", url="https://a.org/", title="Proposé")
    in_class = link_item(world, title="Classe")
    in_group = link_item(world, title="Groupe", assign_class=False)
    actions.do_assign(world.referent, in_group, [], [world.group])
    withdrawn = link_item(world, title="Retiré")
    actions.do_withdraw(world.referent, withdrawn)
    unassigned = link_item(world, title="Non attribué", assign_class=False)
    other_school = actions.do_propose_item(
        world.teacher_b, world.school_b, {"kind": "link", "title": "B", "url": "https://b.org/"}
    )
    users = {**world.personas(), "other_pupil": world.other_pupil, "sibling": world.sibling}
    for item in (proposed, in_class, in_group, withdrawn, unassigned, other_school):
        item = Item.objects.get(pk=item.pk)
        for name, user in users.items():
            user = type(user).objects.get(pk=user.pk)
            expected = Item.objects.visible_to(user).filter(id=item.id).exists()
            assert may_see(user, item) == expected, (item.title, name)


def test_version_states_are_the_gates_and_shown_as_everywhere(
    world, store, settings, client, login_as, django_capture_on_commit_callbacks
):
    """Held and infected versions read and answer like every other upload surface
    (ent/files.py): the same words on the item's page, the same 403 page for a
    download (the uploader too), never a link; the family never sees them."""
    socket_path = settings.CLAMD_SOCKET
    settings.CLAMD_SOCKET = "/tmp/nonexistent-ent-clamd.sock"
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world)
    held = item.versions.get()
    settings.CLAMD_SOCKET = socket_path
    with django_capture_on_commit_callbacks(execute=True):
        infected = actions.do_add_version(world.teacher, item, upload(INFECTED_PDF, "virus.pdf"))
    infected.refresh_from_db()
    assert (held.scan, infected.scan) == (ScanState.HELD, ScanState.INFECTED)
    login_as(world.teacher)
    page = client.get(reverse("media:item", args=[item.id])).content.decode()
    assert "being checked by the antivirus" in page
    assert "refused: the antivirus found a threat" in page
    assert f"?version={held.id}" not in page and f"?version={infected.id}" not in page
    url = reverse("media:download", args=[item.id])
    response = client.get(url, {"version": held.id})
    assert response.status_code == 403 and "Location" not in response.headers
    assert "being checked by the antivirus" in response.content.decode()
    response = client.get(url, {"version": infected.id})
    assert response.status_code == 403 and "antivirus found a threat" in response.content.decode()
    assert "X-Amz-Signature" not in response.content.decode()
    # Scanned once clamd is back: offered, with its download link.
    actions.do_scan_version(held.id)
    page = client.get(reverse("media:item", args=[item.id])).content.decode()
    assert f"?version={held.id}" in page
    assert client.get(url, {"version": held.id}).status_code == 302
    login_as(world.guardian)
    assert client.get(url, {"version": held.id}).status_code == 404
