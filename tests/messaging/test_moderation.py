"""Reports, hiding and closing by direction; nothing disclosed to others."""

import pytest
from django.urls import reverse

from messaging import actions
from messaging.models import Message, Report


@pytest.fixture
def conv(world, start, fresh):
    return start(fresh(world.teacher), world.guardian, subject="Comportement", body="Message déplacé")


def test_participant_reports_and_direction_hides(world, conv, client, login_as):
    message = conv.messages.first()
    login_as(world.guardian)
    url = reverse("messaging:report", args=[message.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"reason": ""})
    assert r.status_code == 400 and "Dites en quelques mots" in r.content.decode()
    assert client.post(url, {"reason": "Ton agressif"}).status_code == 302
    assert Report.objects.filter(message=message, reporter=world.guardian).count() == 1
    # The author cannot report their own message.
    login_as(world.teacher)
    assert client.post(url, {"reason": "x"}).status_code == 403

    # Only the school's direction sees reports and the reported conversation.
    login_as(world.staff_b)  # another school's direction: its own (empty) list
    assert "Ton agressif" not in client.get(reverse("messaging:reports")).content.decode()
    for person in [world.vie_scolaire, world.staff_b, world.outsider_parent]:
        login_as(person)
        if person != world.staff_b:
            assert client.get(reverse("messaging:reports")).status_code == 404
        assert client.get(reverse("messaging:moderate", args=[conv.pk])).status_code == 404
        assert client.post(reverse("messaging:hide", args=[message.pk])).status_code == 404
        assert client.post(reverse("messaging:close", args=[conv.pk])).status_code == 404
    login_as(world.direction)
    page = client.get(reverse("messaging:reports")).content.decode()
    assert "Ton agressif" in page and "Comportement" in page
    assert client.get(reverse("messaging:moderate", args=[conv.pk])).status_code == 200
    assert client.get(reverse("messaging:hide", args=[message.pk])).status_code == 405
    assert client.post(reverse("messaging:hide", args=[message.pk])).status_code == 302
    message.refresh_from_db()
    assert message.hidden == Message.Hidden.MODERATION and message.body == "Message déplacé"
    assert Report.objects.get(message=message).handled_by == world.direction
    # Participants see it hidden; direction still reads the original.
    assert "Message déplacé" in client.get(reverse("messaging:moderate", args=[conv.pk])).content.decode()
    login_as(world.guardian)
    page = client.get(reverse("messaging:conversation", args=[conv.pk])).content.decode()
    i = page.find("Message déplacé")
    assert i == -1, page[i - 400 : i + 50]
    assert "Message masqué par l'établissement" in page


def test_direction_cannot_read_unreported_conversations(world, conv, client, login_as):
    login_as(world.direction)
    assert client.get(reverse("messaging:moderate", args=[conv.pk])).status_code == 404
    assert client.get(reverse("messaging:conversation", args=[conv.pk])).status_code == 404


def test_direction_closes_a_conversation(world, conv, fresh, client, login_as):
    actions.do_report_message(fresh(world.guardian), conv.messages.first(), "Spam")
    login_as(world.direction)
    assert client.post(reverse("messaging:close", args=[conv.pk])).status_code == 302
    conv.refresh_from_db()
    assert conv.is_closed and conv.closed_by == world.direction
    login_as(world.guardian)
    r = client.post(reverse("messaging:post", args=[conv.pk]), {"body": "Encore"})
    assert r.status_code == 403 and "close" in r.content.decode()
    assert conv.messages.count() == 1
    page = client.get(reverse("messaging:conversation", args=[conv.pk])).content.decode()
    assert 'id="reply"' not in page


def test_dismiss_report(world, conv, fresh, client, login_as):
    report = actions.do_report_message(fresh(world.guardian), conv.messages.first(), "Spam")
    login_as(world.staff_b)
    assert client.post(reverse("messaging:dismiss_report", args=[report.pk])).status_code == 404
    login_as(world.direction)
    assert client.post(reverse("messaging:dismiss_report", args=[report.pk])).status_code == 302
    report.refresh_from_db()
    assert report.handled_at is not None
