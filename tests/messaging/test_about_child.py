"""A parent's new conversation says which child it is about, and the people
picker says what each teacher teaches (issue #22, item 4)."""

import pytest
from django.urls import reverse

from ent.directory.models import User
from ent.notify.rendering import render
from messaging import access
from messaging.forms import NewConversationForm
from messaging.models import Conversation

pytestmark = pytest.mark.django_db

NEW = reverse("messaging:new")


def _post(client, world, **extra):
    return client.post(NEW, {"recipients": [world.teacher.pk], "subject": "Sortie", "body": "Bonjour", **extra})


def test_a_parent_of_several_children_is_asked_which_one(world, client, login_as):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    page = client.get(NEW).content.decode()
    assert "Which child is it about?" in page
    about = page[page.index('class="field about"') :]
    about = about[: about.index("</fieldset>")]
    assert world.pupil.first_name in about and world.sibling.first_name in about
    assert world.outsider_pupil.first_name not in about


def test_the_teachers_are_listed_with_what_they_teach(world, client, login_as):
    login_as(world.guardian)
    page = client.get(NEW).content.decode()
    assert "Anne Leroy — Latin; Mathématiques, 6e A" in page and "Eva Noir — CM1" in page
    assert "Anne Leroy (enseignant" not in page


def test_the_child_chosen_is_stored_and_shown_everywhere(world, client, login_as):
    from ent.notify.models import Notification

    login_as(world.guardian)
    response = _post(client, world, about=world.pupil.pk)
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and conversation.about == world.pupil
    # The teacher reads it in the list, in the conversation and in the notification.
    notification = Notification.objects.get(recipient=world.teacher, kind="message.new")
    assert notification.child_id == world.pupil.pk
    assert render(notification).subject.endswith("— Léa")  # in the feed, the e-mail and the SMS
    client.logout()
    login_as(world.teacher)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert "Au sujet de Léa Martin" in inbox
    page = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "Au sujet de Léa Martin" in page


def test_not_chosen_it_is_the_child_the_recipient_teaches(world, client, login_as):
    login_as(world.guardian)
    assert _post(client, world).status_code == 302
    assert Conversation.objects.get().about == world.pupil


def test_another_familys_child_is_refused_and_nothing_is_sent(world, client, login_as):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    response = _post(client, world, about=world.outsider_pupil.pk)
    assert response.status_code == 400 and "Choose one of your children." in response.content.decode()
    assert not Conversation.objects.exists()


def test_when_the_recipients_do_not_tell_the_parent_must_choose(world):
    children = access.about_children(world.guardian)
    assert access.children_related_to(children, [world.other_teacher.pk]) == set()
    assert access.children_related_to(children, [world.teacher.pk]) == {world.pupil.pk}
    assert access.children_related_to(children, [world.teacher_b.pk]) == {world.sibling.pk}
    form = NewConversationForm(
        {"recipients": [world.other_teacher.pk], "subject": "Sujet", "body": "Bonjour"},
        people=User.objects.filter(pk=world.other_teacher.pk),
        children=children,
    )
    assert "about" in form.fields  # offered: two children
    assert not form.is_valid() and "about" in form.errors


def test_a_parent_of_one_child_is_not_asked(world, client, login_as):
    login_as(world.guardian2)
    assert "Which child" not in client.get(NEW, headers={"Accept-Language": "en"}).content.decode()
    assert _post(client, world).status_code == 302
    assert Conversation.objects.get().about == world.pupil


def test_wrong_method_is_405(world, client, login_as):
    login_as(world.guardian)
    assert client.put(NEW).status_code == 405


def test_the_picker_costs_a_fixed_number_of_queries(world, client, login_as, django_assert_max_num_queries):
    login_as(world.guardian)
    client.get(NEW)
    with django_assert_max_num_queries(25):
        assert client.get(NEW).status_code == 200


# --- Live messages carry their actions (messaging/_message.html, fetched by live.js) -----------


def _conversation(world, start, fresh):
    return start(fresh(world.guardian), world.teacher, subject="Sortie", body="Bonjour, une question.")


def test_the_fragment_gives_the_author_change_and_delete(world, start, fresh, client, login_as):
    conversation = _conversation(world, start, fresh)
    message = conversation.messages.get()
    login_as(world.guardian)
    response = client.get(reverse("messaging:message", args=[message.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert f'id="m{message.pk}"' in page and 'class="message-actions"' in page
    assert reverse("messaging:edit", args=[message.pk]) in page
    assert reverse("messaging:delete", args=[message.pk]) in page and "csrfmiddlewaretoken" in page
    assert reverse("messaging:report", args=[message.pk]) not in page


def test_the_fragment_gives_the_others_report(world, start, fresh, client, login_as):
    message = _conversation(world, start, fresh).messages.get()
    login_as(world.teacher)
    page = client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    assert reverse("messaging:report", args=[message.pk]) in page
    assert reverse("messaging:edit", args=[message.pk]) not in page


@pytest.mark.parametrize("persona", ["outsider_parent", "guardian2", "other_teacher", "staff_b"])
def test_the_fragment_of_someone_elses_conversation_is_404(world, start, fresh, client, login_as, persona):
    message = _conversation(world, start, fresh).messages.get()
    login_as(getattr(world, persona))
    assert client.get(reverse("messaging:message", args=[message.pk])).status_code == 404


def test_the_fragment_refuses_post(world, start, fresh, client, login_as):
    message = _conversation(world, start, fresh).messages.get()
    login_as(world.guardian)
    assert client.post(reverse("messaging:message", args=[message.pk])).status_code == 405


def test_the_page_and_the_fragment_render_the_same_message(world, start, fresh, client, login_as):
    conversation = _conversation(world, start, fresh)
    message = conversation.messages.get()
    login_as(world.teacher)
    page = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert f'data-fragment-url="{reverse("messaging:message", args=[0])}"' in page
    fragment = client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    start_at = fragment.index("<li")
    assert fragment[start_at : fragment.index('<div class="message-actions">')] in page
