"""The compact register (issue #21, item 4): one row per pupil, the count, the
summary by name after saving, minutes only for lateness, and who may open it."""

import pytest
from django.urls import reverse

from absences.models import AbsenceEvent

pytestmark = pytest.mark.django_db


def _page(client, register):
    return client.get(reverse("absences:register", args=[register.id])).content.decode()


def test_rows_count_and_labels_name_each_pupil(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    page = _page(client, register)
    assert page.count('class="pupil-row') == 2
    # Each of the four buttons says which pupil it marks.
    for text in ("A : absent — Martin Léa", "R : en retard — Martin Léa", "P : présent — Bernard Noé"):
        assert text in page
    assert 'id="register-count" role="status" aria-live="polite"' in page
    assert "<b>2</b> <span" in page
    # "Register taken" comes before the list as well as after it.
    assert page.index('name="finish"') < page.index('class="pupil-row')
    assert page.count('name="finish"') == 2
    # Nothing saved yet: no summary.
    assert "register-summary" not in page
    assert "absences/register.js" in page


def test_summary_after_saving_names_absent_late_and_left_early(world, monday, login_as, client, open_register):
    from tests.factories import make_pupil

    third = make_pupil(world.klass, first_name="Jade", last_name="Zola")
    register = open_register()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    data = {
        f"s{world.pupil.id}": "absence",
        f"s{world.outsider_pupil.id}": "late",
        f"m{world.outsider_pupil.id}": "12",
        f"s{third.id}": "left_early",
        "finish": "1",
    }
    page = client.post(url, data, follow=True).content.decode()
    assert "Appel terminé." in page
    summary = page[page.index("register-summary") : page.index("</section>")]
    assert "Absent (1)" in summary and "Martin Léa" in summary
    assert "En retard (1)" in summary and "Bernard Noé — 12 min" in summary
    assert "Parti plus tôt (1)" in summary and "Zola Jade" in summary
    assert "<b>0</b>" in page and '<b>1</b> <span class="word">absent</span>' in page


def test_summary_says_everyone_was_present(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    page = client.post(reverse("absences:register", args=[register.id]), {"save": "1"}, follow=True)
    content = page.content.decode()
    assert "Tout le monde était présent." in content, content[content.find("<main") : content.find("register-bar")]


def test_minutes_are_kept_for_lateness_only(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    p, x = world.pupil.id, world.outsider_pupil.id
    # A number left in the (hidden) box of a pupil then marked otherwise is not recorded.
    client.post(url, {f"s{p}": "left_early", f"m{p}": "15", f"s{x}": "absence", f"m{x}": "9", "save": "1"})
    assert dict(AbsenceEvent.objects.values_list("pupil_id", "minutes")) == {p: None, x: None}


def test_late_without_minutes_shows_the_box_and_saves_nothing(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    url = reverse("absences:register", args=[register.id])
    response = client.post(url, {f"s{world.pupil.id}": "late", f"m{world.pupil.id}": "abc", "finish": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'aria-describedby="err{world.pupil.id}"' in page
    assert f'value="late" id="id_s{world.pupil.id}_2" data-key="R" checked' in page
    assert not AbsenceEvent.objects.exists()


@pytest.mark.parametrize(
    "persona", ["guardian", "pupil", "outsider_parent", "other_teacher", "teacher_b", "staff_b", "parent_b"]
)
def test_register_is_404_for_everyone_else(world, monday, login_as, client, open_register, persona):
    register = open_register()
    login_as(getattr(world, persona))
    url = reverse("absences:register", args=[register.id])
    assert client.get(url).status_code == 404
    assert client.post(url, {f"s{world.pupil.id}": "absence", "finish": "1"}).status_code == 404
    assert not AbsenceEvent.objects.exists()


def test_register_wrong_method(world, monday, login_as, client, open_register):
    register = open_register()
    login_as(world.teacher)
    assert client.delete(reverse("absences:register", args=[register.id])).status_code == 405
