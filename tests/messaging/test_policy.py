"""The policy table for every pair of personas: in access.py, over HTTP, and
(see test_socket.py) over the WebSocket."""

import pytest
from django.urls import reverse

from ent.directory.models import StaffRole
from messaging import access, actions
from messaging.models import Conversation, Message, SchoolPolicy
from tests.factories import make_staff

from .policy_table import PERSONAS, all_pairs, allowed


def test_check_start_matches_the_table_for_every_pair(world, fresh):
    people = world.personas()
    people["outsider_pupil"] = world.outsider_pupil
    mismatches = []
    for a, b in all_pairs():
        try:
            access.check_start(fresh(people[a]), [people[b].pk])
            got = True
        except access.PolicyError:
            got = False
        if got != allowed(a, b):
            mismatches.append((a, b, got))
    assert mismatches == []


def test_picker_offers_exactly_the_allowed_people(world, fresh):
    people = {**world.personas(), "outsider_pupil": world.outsider_pupil}
    by_id = {u.pk: name for name, u in people.items()}
    for name in PERSONAS:
        offered = {
            by_id[pk] for pk in access.picker_people(fresh(people[name])).values_list("id", flat=True) if pk in by_id
        }
        expected = {other for other in PERSONAS if other != name and allowed(name, other)}
        assert offered == expected, name


def test_http_policy_table_for_every_pair(world, client, login_as):
    people = {**world.personas(), "outsider_pupil": world.outsider_pupil}
    url = reverse("messaging:new")
    wrong = []
    for a in PERSONAS:
        login_as(people[a])
        for b in PERSONAS:
            if a == b:
                continue
            before = Conversation.objects.count()
            r = client.post(url, {"recipients": [people[b].pk], "subject": "Hello", "body": "Bonjour"})
            created = Conversation.objects.count() - before
            if allowed(a, b):
                ok = r.status_code == 302 and created == 1
            else:
                ok = r.status_code == 400 and created == 0 and "pas écrire à cette personne" in r.content.decode()
            if not ok:
                wrong.append((a, b, r.status_code))
        client.logout()
    assert wrong == []


def test_pupils_may_reply_but_not_start_when_direction_says_so(world, start, fresh, client, login_as):
    teacher_conv = start(fresh(world.teacher), world.pupil)
    SchoolPolicy.objects.create(school=world.school, pupils_may_start=False)
    with pytest.raises(access.PolicyError):
        actions.do_start_conversation(fresh(world.pupil), [world.teacher.pk], "Question", "Bonjour")
    # The picker offers nobody, so the page says so.
    login_as(world.pupil)
    r = client.get(reverse("messaging:new"))
    assert r.status_code == 200
    assert "personne" in r.content.decode()
    # Replying still works.
    r = client.post(reverse("messaging:post", args=[teacher_conv.pk]), {"body": "Merci madame"})
    assert r.status_code == 302
    assert Message.objects.filter(conversation=teacher_conv).count() == 2


def test_pupils_cut_off_when_direction_turns_messaging_off_for_them(world, start, fresh):
    conv = start(fresh(world.teacher), world.pupil)
    SchoolPolicy.objects.create(school=world.school, pupils_may_write=False)
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.pupil), conv, "Bonjour")
    # Nor can the teacher write to the pupil any more.
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.teacher), conv, "Bonjour")
    assert world.pupil.pk not in set(access.picker_people(fresh(world.teacher)).values_list("id", flat=True))


def test_parents_may_only_reply_when_direction_says_so(world, start, fresh):
    conv = start(fresh(world.teacher), world.guardian)
    SchoolPolicy.objects.create(school=world.school, parents_may_start=False)
    with pytest.raises(access.PolicyError):
        actions.do_start_conversation(fresh(world.guardian2), [world.teacher.pk], "Question", "Bonjour")
    actions.do_send_message(fresh(world.guardian), conv, "Merci")
    # The tightening is per school: guardian may still start in school B.
    actions.do_start_conversation(fresh(world.guardian), [world.teacher_b.pk], "Hugo", "Bonjour")


def test_parents_together_only_in_a_conversation_staff_opened(world, start, fresh):
    # A teacher may not put two families in one conversation...
    with pytest.raises(access.PolicyError):
        start(fresh(world.teacher), world.guardian, world.outsider_parent)
    # ... the school office may, and then the parents may answer each other.
    conv = start(fresh(world.vie_scolaire), world.guardian, world.outsider_parent)
    assert conv.opened_by_staff
    actions.do_send_message(fresh(world.outsider_parent), conv, "Bonjour à tous")
    # Still no pupil with an unrelated adult, even opened by staff.
    with pytest.raises(access.PolicyError):
        start(fresh(world.vie_scolaire), world.pupil, world.outsider_parent)


def test_a_teacher_may_bring_a_pupil_and_their_own_parents_together(world, start, fresh):
    conv = start(fresh(world.teacher), world.pupil, world.guardian)
    actions.do_send_message(fresh(world.pupil), conv, "Bonjour maman")
    actions.do_send_message(fresh(world.guardian), conv, "Bonjour")


def test_every_message_is_rechecked(world, start, fresh):
    conv = start(fresh(world.guardian), world.teacher)
    # The teacher no longer teaches the class: the family can no longer reach them.
    world.teacher.teaching_assignments.all().delete()
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.guardian), conv, "Encore une question")
    assert conv.messages.count() == 1


def test_a_new_staff_member_reaches_everyone_of_their_school_only(world, fresh):
    secretary = make_staff(world.school, StaffRole.Role.SECRETARY)
    access.check_start(fresh(secretary), [world.outsider_parent.pk])
    with pytest.raises(access.PolicyError):
        access.check_start(fresh(secretary), [world.parent_b.pk])


def test_too_many_recipients_or_none(world, fresh):
    with pytest.raises(access.PolicyError):
        access.check_start(fresh(world.direction), [])
    with pytest.raises(access.PolicyError):
        access.check_start(fresh(world.direction), list(range(1, access.MAX_RECIPIENTS + 5)))


def test_direction_edits_the_school_policy(world, client, login_as):
    login_as(world.direction)
    url = reverse("messaging:policy", args=[world.school.id])
    assert client.get(url).status_code == 200
    r = client.post(url, {"pupils_may_write": "on", "parents_may_start": "on"})
    assert r.status_code == 302
    policy = SchoolPolicy.objects.get(school=world.school)
    assert policy.pupils_may_write and not policy.pupils_may_start and policy.parents_may_start
    # Another school's direction, or vie scolaire: nothing disclosed.
    login_as(world.staff_b)
    assert client.post(url, {}).status_code == 404
    login_as(world.vie_scolaire)
    assert client.get(url).status_code == 404
    assert client.put(url).status_code in (404, 405)
