"""The teacher sees which pupils ticked a piece of work (issue #22, item 4), not
only how many; families and other classes' teachers never see the list; the
class diary keeps its column names on a phone."""

import pytest
from django.urls import reverse

from homework.models import Done, Entry
from tests.factories import make_pupil
from tests.homework.conftest import make_entry

pytestmark = pytest.mark.django_db


def _detail(entry):
    return reverse("homework:entry_detail", args=[entry.id])


@pytest.mark.parametrize("persona", ["teacher", "direction", "vie_scolaire"])
def test_the_teacher_and_the_office_see_who_ticked(world, client, login_as, entry, persona):
    Done.objects.create(entry=entry, pupil=world.pupil)
    login_as(getattr(world, persona))
    client.cookies.load({"django_language": "en"})
    response = client.get(_detail(entry))
    ticks = response.context["tick_rows"]
    assert [p.id for p, _done in ticks.done] == [world.pupil.id]
    assert world.outsider_pupil.id in {p.id for p in ticks.not_done}
    assert world.pupil.id not in {p.id for p in ticks.not_done}
    page = response.content.decode()
    ticked = page[page.index('id="ticked"') : page.index('id="not-ticked"')]
    assert world.pupil.last_name in ticked and world.outsider_pupil.last_name not in ticked
    assert "Done: 1 pupil" in page


@pytest.mark.parametrize("persona", ["pupil", "guardian", "outsider_parent"])
def test_families_do_not_see_who_ticked(world, client, login_as, entry, persona):
    classmate = make_pupil(world.klass, first_name="Zacharie", last_name="Vidalou")
    Done.objects.create(entry=entry, pupil=classmate)
    login_as(getattr(world, persona))
    if persona != "pupil":
        session = client.session
        session["child_id"] = world.pupil.id if persona == "guardian" else world.outsider_pupil.id
        session.save()
    response = client.get(_detail(entry))
    assert response.status_code == 200 and response.context["tick_rows"] is None
    assert 'id="ticks"' not in response.content.decode()
    assert "Vidalou" not in response.content.decode()


@pytest.mark.parametrize("persona", ["other_teacher", "teacher_b", "staff_b", "parent_b"])
def test_others_get_404(world, client, login_as, entry, persona):
    login_as(getattr(world, persona))
    assert client.get(_detail(entry)).status_code == 404


def test_lesson_content_has_no_tick_list(world, client, login_as):
    lesson = make_entry(world, kind=Entry.Kind.LESSON, title="Séance")
    login_as(world.teacher)
    assert client.get(_detail(lesson)).context["tick_rows"] is None


def test_wrong_method_is_405(world, client, login_as, entry):
    login_as(world.teacher)
    assert client.post(_detail(entry)).status_code == 405


def test_the_list_costs_the_same_for_a_big_class(world, client, login_as, entry, django_assert_max_num_queries):
    login_as(world.teacher)
    # The page is cached: each measure is of a first request (nothing cached yet).
    with django_assert_max_num_queries(20) as cold:
        client.get(_detail(entry))
    pupils = [make_pupil(world.klass, first_name=f"P{i:02d}", last_name=f"Extra{i:02d}") for i in range(30)]
    Done.objects.bulk_create([Done(entry=entry, pupil=p) for p in pupils[::2]])
    # One more at most: the new pupils made the teacher's cached roles stale too.
    with django_assert_max_num_queries(len(cold.captured_queries) + 1):
        response = client.get(_detail(entry))
    assert len(response.context["tick_rows"].done) == 15


def test_the_diary_keeps_its_column_names_on_a_phone(world, client, login_as, entry):
    login_as(world.teacher)
    client.cookies.load({"django_language": "fr"})
    page = client.get(reverse("homework:diary", args=[f"c{world.klass.id}"])).content.decode()
    # Written beside each value (shown only on narrow screens by homework.css).
    assert '<span class="cell-label">Fait : </span>' in page
    assert page.count('class="cell-label"') == 4
    assert f"{reverse('homework:entry_detail', args=[entry.id])}#ticks" in page
