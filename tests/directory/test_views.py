import pytest
from django.urls import reverse

from tests.factories import make_pupil

pytestmark = pytest.mark.django_db

ALL = [
    "pupil",
    "guardian",
    "guardian2",
    "guardian_nojustify",
    "teacher",
    "other_teacher",
    "vie_scolaire",
    "direction",
    "referent",
    "admin",
    "outsider_parent",
    "teacher_b",
    "staff_b",
    "parent_b",
]


@pytest.mark.parametrize("persona", ALL)
def test_home_for_every_persona(client, world, login_as, persona):
    user = world.personas()[persona]
    login_as(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'id="not-linked"' not in response.content.decode()


def test_home_content_per_role(client, world, login_as):
    login_as(world.guardian)
    body = client.get(reverse("home")).content.decode()
    assert "Léa" in body and "Hugo" in body  # both children offered in the switcher
    assert "Noé" not in body  # never another family's child
    login_as(world.teacher)
    body = client.get(reverse("home")).content.decode()
    assert "6e A" in body and "6e B" not in body
    login_as(world.admin)
    body = client.get(reverse("home")).content.decode()
    assert "Collège Test" in body and "École B" in body


def test_parent_switches_child(client, world, login_as):
    login_as(world.guardian)
    response = client.post(reverse("select_child"), {"child": world.sibling.id, "next": "/"})
    assert response.status_code == 302
    assert client.session["child_id"] == world.sibling.id
    body = client.get(reverse("home")).content.decode()
    assert "CM1" in body  # the sibling's class, in the other school


@pytest.mark.parametrize(
    "persona, child", [("guardian2", "sibling"), ("outsider_parent", "pupil"), ("teacher", "pupil")]
)
def test_cannot_select_someone_elses_child(client, world, login_as, persona, child):
    login_as(world.personas()[persona])
    response = client.post(reverse("select_child"), {"child": getattr(world, child).id})
    assert response.status_code == 404
    assert "child_id" not in client.session


def test_select_child_bad_input_and_method(client, world, login_as):
    login_as(world.guardian)
    response = client.post(reverse("select_child"), {"child": "abc"})
    assert response.status_code == 302 and "child_id" not in client.session
    assert client.get(reverse("select_child")).status_code == 405


def test_select_child_ignores_foreign_redirect(client, world, login_as):
    login_as(world.guardian)
    response = client.post(reverse("select_child"), {"child": world.pupil.id, "next": "https://evil.example/"})
    assert response.url == reverse("home")


@pytest.mark.parametrize(
    "persona, status",
    [("vie_scolaire", 200), ("teacher", 200), ("guardian", 200), ("staff_b", 404), ("parent_b", 404), ("admin", 200)],
)
def test_school_detail(client, world, login_as, persona, status):
    login_as(world.personas()[persona])
    assert client.get(reverse("school_detail", args=[world.school.id])).status_code == status


@pytest.mark.parametrize(
    "persona, status",
    [
        ("vie_scolaire", 200),
        ("teacher", 200),
        ("other_teacher", 404),
        ("guardian", 200),
        ("outsider_parent", 200),
        ("staff_b", 404),
        ("teacher_b", 404),
        ("parent_b", 404),
    ],
)
def test_class_detail(client, world, login_as, persona, status):
    login_as(world.personas()[persona])
    assert client.get(reverse("class_detail", args=[world.klass.id])).status_code == status


def test_class_detail_lists_only_visible_pupils(client, world, login_as):
    login_as(world.guardian)
    body = client.get(reverse("class_detail", args=[world.klass.id])).content.decode()
    assert "Léa" in body and "Noé" not in body
    login_as(world.teacher)
    body = client.get(reverse("class_detail", args=[world.klass.id])).content.decode()
    assert "Léa" in body and "Noé" in body


@pytest.mark.parametrize(
    "persona, status",
    [
        ("guardian", 200),
        ("guardian2", 200),
        ("teacher", 200),
        ("vie_scolaire", 200),
        ("outsider_parent", 404),
        ("other_teacher", 404),
        ("staff_b", 404),
        ("pupil", 200),
    ],
)
def test_pupil_detail(client, world, login_as, persona, status):
    login_as(world.personas()[persona])
    assert client.get(reverse("pupil_detail", args=[world.pupil.id])).status_code == status


def test_class_page_query_count_does_not_grow(client, world, login_as, django_assert_max_num_queries):
    login_as(world.vie_scolaire)
    url = reverse("class_detail", args=[world.klass.id])
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for i in range(30):
        make_pupil(world.klass, f"bulk{i}")
    client.get(url)  # the new pupils changed the directory: warm the caches again, as before `small`
    with django_assert_max_num_queries(12) as large:
        client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.usefixtures("no_page_cache")
def test_home_query_count_does_not_grow(client, world, login_as, django_assert_max_num_queries):
    login_as(world.guardian)
    client.get(reverse("home"))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("home"))
    for i in range(10):
        child = make_pupil(world.other_class, f"kid{i}")
        world.guardian.guardianships.create(pupil=child)
    client.get(reverse("home"))  # the new links changed the directory: warm the caches again, as before `small`
    with django_assert_max_num_queries(12) as large:
        client.get(reverse("home"))
    assert len(small.captured_queries) == len(large.captured_queries)
