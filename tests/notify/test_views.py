"""The feed, marking read, and the preferences page."""

import datetime
import re

import pytest
from django.urls import reverse

from ent.notify.api import encode_context
from ent.notify.kinds import Frequency
from ent.notify.models import ChildMute, Notification, NotificationSettings, Preference
from ent.notify.push import forget_unread, unread_count

pytestmark = pytest.mark.django_db

FEED = reverse("notify:feed")
PREFS = reverse("notify:preferences")
ALL_READ = reverse("notify:mark_all_read")


def make(recipient, kind="message.new", *, child=None, context=None, read=False):
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        child=child,
        context=encode_context(context or {}),
        read_at=datetime.datetime.now(datetime.UTC) if read else None,
    )


def mark_read_url(notification):
    return reverse("notify:mark_read", args=[notification.id])


class TestUnreadBadge:
    """The badge's count is cached per person and forgotten when their
    notifications change, so it is never another person's and never stale."""

    @pytest.fixture(autouse=True)
    def _cache_on(self, settings):
        settings.NOTIFY_UNREAD_CACHE_SECONDS = 120

    def test_follows_new_and_read_notifications(self, world, login_as, django_capture_on_commit_callbacks):
        from ent.notify.api import notify

        c = login_as(world.guardian)
        forget_unread([world.guardian.id, world.parent_b.id])
        assert unread_count(world.guardian) == 0
        with django_capture_on_commit_callbacks(execute=True):
            notify([world.guardian], "homework.published", child=world.pupil, context={"title": "Devoir"})
        assert unread_count(world.guardian) == 1
        assert c.get(FEED).context["unread_notifications"] == 1
        # Another family's count is its own.
        assert unread_count(world.parent_b) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert c.post(ALL_READ).status_code == 302
        assert unread_count(world.guardian) == 0
        with django_capture_on_commit_callbacks(execute=True):
            notify([world.guardian], "homework.published", child=world.pupil, context={"title": "Encore"})
        note = Notification.objects.get(recipient=world.guardian, read_at__isnull=True)
        with django_capture_on_commit_callbacks(execute=True):
            c.post(mark_read_url(note))
        assert unread_count(world.guardian) == 0

    def test_a_second_page_costs_no_count_query(self, world, login_as, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        c = login_as(world.guardian)
        c.get(FEED)
        with CaptureQueriesContext(connection) as captured:
            c.get(FEED)
        assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"] and "read_at" in q["sql"]]


class TestFeed:
    def test_anonymous_goes_to_login(self, client):
        response = client.get(FEED)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_shows_own_notifications_newest_first_with_child_and_count(self, world, login_as):
        old = make(world.guardian, "homework.published", child=world.pupil, context={"title": "Rédaction"})
        Notification.objects.filter(id=old.id).update(created_at=old.created_at - datetime.timedelta(days=1))
        make(world.guardian, "absence.unexplained", child=world.sibling, context={"period": "matin"})
        make(world.guardian, "message.new", read=True, context={"sender_name": "Anne Leroy"})
        make(world.guardian2, "message.new", context={"sender_name": "Secret"})
        response = login_as(world.guardian).get(FEED)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Secret" not in html
        assert html.index("Absence à expliquer") < html.index("Rédaction")
        assert "Concerne Hugo" in html and "Concerne Léa" in html
        assert response.context["unread_notifications"] == 2
        assert 'data-unread-count aria-live="polite">2</span>' in html

    def test_a_pupil_reading_about_themselves_gets_no_about_line(self, world, login_as):
        make(world.pupil, "homework.published", child=world.pupil, context={"title": "Rédaction"})
        html = login_as(world.pupil).get(FEED).content.decode()
        assert "Rédaction" in html and "Concerne" not in html

    def test_paginated_by_25(self, world, login_as):
        for i in range(30):
            make(world.pupil, context={"sender_name": f"Prof {i:02d}"})
        c = login_as(world.pupil)
        assert len(c.get(FEED).context["items"]) == 25
        page2 = c.get(FEED, {"page": 2})
        assert len(page2.context["items"]) == 5
        # A bad page number is not an error: the first page.
        assert c.get(FEED, {"page": "abc"}).context["page"].number == 1

    def test_wrong_method(self, world, login_as):
        assert login_as(world.pupil).post(FEED).status_code == 405

    def test_query_count_is_the_same_for_1_and_50(self, world, login_as, django_assert_max_num_queries):
        c = login_as(world.guardian)
        counts = []
        for total in (1, 50):
            while Notification.objects.filter(recipient=world.guardian).count() < total:
                make(world.guardian, "homework.published", child=world.pupil, context={"title": "x"})
            c.get(FEED)  # warm the person's caches (row, roles), as for any second page
            forget_unread([world.guardian.id])  # as notify() does on commit
            # session, user, roles, children (navigation), unread count, page count, page rows.
            with django_assert_max_num_queries(7) as captured:
                assert c.get(FEED).status_code == 200
            counts.append(len(captured))
        assert counts[0] == counts[1]


class TestMarkRead:
    def test_marks_own_notification(self, world, login_as):
        n = make(world.guardian)
        response = login_as(world.guardian).post(mark_read_url(n), {"page": "2"})
        assert response.status_code == 302 and response["Location"] == f"{FEED}?page=2"
        n.refresh_from_db()
        assert n.read_at is not None

    def test_someone_elses_is_404_and_unchanged(self, world, login_as):
        n = make(world.guardian2)
        assert login_as(world.guardian).post(mark_read_url(n)).status_code == 404
        n.refresh_from_db()
        assert n.read_at is None

    def test_missing_is_404(self, world, login_as):
        assert login_as(world.guardian).post(reverse("notify:mark_read", args=[999999])).status_code == 404

    def test_wrong_method(self, world, login_as):
        n = make(world.guardian)
        assert login_as(world.guardian).get(mark_read_url(n)).status_code == 405
        n.refresh_from_db()
        assert n.read_at is None

    def test_bad_page_is_ignored(self, world, login_as):
        n = make(world.guardian)
        response = login_as(world.guardian).post(mark_read_url(n), {"page": "//evil.example"})
        assert response["Location"] == FEED

    def test_mark_all_read_only_touches_mine(self, world, login_as):
        mine = [make(world.guardian) for _ in range(3)]
        theirs = make(world.guardian2)
        response = login_as(world.guardian).post(ALL_READ)
        assert response.status_code == 302
        assert Notification.objects.filter(id__in=[n.id for n in mine], read_at__isnull=True).count() == 0
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_mark_all_read_wrong_method(self, world, login_as):
        make(world.guardian)
        assert login_as(world.guardian).get(ALL_READ).status_code == 405
        assert Notification.objects.unread().count() == 1

    def test_anonymous(self, client, world):
        n = make(world.guardian)
        assert client.post(mark_read_url(n)).status_code == 302
        n.refresh_from_db()
        assert n.read_at is None


def prefs_post(form, **changes):
    """The form's current values as a browser would post them, with changes."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.time):
            data[name] = value.strftime("%H:%M")
        else:
            data[name] = value
    for name, value in changes.items():
        name = name.replace("__dot__", ".")
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


class TestPreferences:
    def test_page_shows_kinds_and_children(self, world, login_as):
        response = login_as(world.guardian).get(PREFS)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Absence à expliquer" in html and "Léa" in html and "Hugo" in html
        # "off" is not offered for a kind that cannot be turned off.
        select = html[html.index('name="absence.unexplained__frequency"') :]
        select = select[: select.index("</select>")]
        assert 'value="off"' not in select

    def test_save(self, world, login_as):
        world.guardian.phone = "+33612345678"
        world.guardian.save(update_fields=["phone"])
        c = login_as(world.guardian)
        form = c.get(PREFS).context["form"]
        data = prefs_post(
            form,
            **{
                "homework.published__frequency": "weekly",
                "message.new__sms": "on",
                f"receive__{world.pupil.id}__homework.published": False,
                "quiet_start": "21:30",
                "quiet_end": "06:45",
            },
        )
        response = c.post(PREFS, data)
        assert response.status_code == 302
        pref = Preference.objects.get(user=world.guardian, kind="homework.published")
        assert pref.frequency == Frequency.WEEKLY
        assert Preference.objects.get(user=world.guardian, kind="message.new").sms is True
        assert list(ChildMute.objects.filter(user=world.guardian).values_list("child_id", "kind")) == [
            (world.pupil.id, "homework.published")
        ]
        quiet = NotificationSettings.objects.get(user=world.guardian)
        assert (quiet.quiet_start, quiet.quiet_end) == (datetime.time(21, 30), datetime.time(6, 45))
        # And back: ticking the child again unmutes.
        form = c.get(PREFS).context["form"]
        c.post(PREFS, prefs_post(form, **{f"receive__{world.pupil.id}__homework.published": "on"}))
        assert not ChildMute.objects.filter(user=world.guardian).exists()

    def test_cannot_turn_off_urgent_kind(self, world, login_as):
        c = login_as(world.guardian)
        form = c.get(PREFS).context["form"]
        data = prefs_post(form, **{"absence.unexplained__frequency": "off", "message.new__frequency": "off"})
        response = c.post(PREFS, data)
        assert response.status_code == 200
        assert "ne peut pas être désactivée" in response.content.decode()
        assert not Preference.objects.filter(user=world.guardian).exists()

    def test_bad_input_saves_nothing(self, world, login_as):
        c = login_as(world.guardian)
        form = c.get(PREFS).context["form"]
        for bad in ({"quiet_start": "25:99"}, {"message.new__frequency": "hourly"}):
            response = c.post(PREFS, prefs_post(form, **bad))
            assert response.status_code == 200
            assert response.context["form"].errors
        assert not Preference.objects.filter(user=world.guardian).exists()
        assert not NotificationSettings.objects.filter(user=world.guardian).exists()

    def test_cannot_mute_someone_elses_child(self, world, login_as):
        c = login_as(world.guardian)
        form = c.get(PREFS).context["form"]
        data = prefs_post(form)
        # Unticking a field that does not exist for this parent changes nothing.
        data.pop(f"receive__{world.outsider_pupil.id}__homework.published", None)
        c.post(PREFS, data)
        assert not ChildMute.objects.filter(child=world.outsider_pupil).exists()

    def test_wrong_method(self, world, login_as):
        assert login_as(world.guardian).put(PREFS).status_code == 405

    def test_sms_not_offered_without_a_mobile_number(self, world, login_as):
        assert world.guardian.phone == ""
        Preference.objects.create(user=world.guardian, kind="message.new", frequency=Frequency.IMMEDIATELY, sms=True)
        c = login_as(world.guardian)
        response = c.get(PREFS)
        html = response.content.decode()
        assert "__sms" not in html
        assert 'id="no-sms"' in html and "pas de numéro de portable" in html
        # A forged tick changes nothing, and what was stored is kept for the day a number is added.
        data = prefs_post(response.context["form"], **{"homework.published__sms": "on", "message.new__email": False})
        assert c.post(PREFS, data).status_code == 302
        assert Preference.objects.get(user=world.guardian, kind="homework.published").sms is False
        message = Preference.objects.get(user=world.guardian, kind="message.new")
        assert (message.sms, message.email) == (True, False)

    def test_sms_offered_with_a_mobile_number(self, world, login_as):
        world.guardian.phone = "+33612345678"
        world.guardian.save(update_fields=["phone"])
        html = login_as(world.guardian).get(PREFS).content.decode()
        assert 'name="message.new__sms"' in html
        assert 'id="no-sms"' not in html

    def test_words_and_described_fields(self, world, login_as):
        html = login_as(world.guardian).get(PREFS).content.decode()
        assert "Ne pas me déranger" in html
        assert "heures calmes" not in html.lower()
        # Every aria-describedby points to an element of the page.
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        described = re.findall(r'aria-describedby="([^"]+)"', html)
        assert "id_quiet_end_helptext" in described
        assert all(part in ids for value in described for part in value.split()), described

    def test_anonymous(self, client):
        assert client.get(PREFS).status_code == 302
