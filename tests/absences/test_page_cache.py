"""The page cache on the register page: never served to another teacher, and
replaced as soon as a mark or a family's notice changes it (the helpers and the
freshness check live in tests/security/test_page_cache.py)."""

import pytest
from django.urls import reverse

from absences import actions
from tests.absences.conftest import declare
from tests.security.test_page_cache import _TOKEN, _login, _warm, assert_fresh

pytestmark = pytest.mark.django_db


def test_a_cached_register_is_not_served_to_another_teacher(world, login_as, open_register):
    register = open_register()
    url = reverse("absences:register", args=[register.id])
    _warm(_login(world.teacher, login_as), url)
    assert _login(world.other_teacher, login_as).get(url).status_code == 404
    assert _login(world.guardian, login_as).get(url).status_code == 404


def test_register_shows_a_notice_declared_after_it_was_cached(
    world, login_as, monday, open_register, reasons, settings
):
    register = open_register()
    url = reverse("absences:register", args=[register.id])
    teacher = _login(world.teacher, login_as)
    before = _warm(teacher, url).content.decode()
    today = register.date
    declare(world, reasons["illness"], today, today)
    after = assert_fresh(teacher, url, settings).content.decode()
    assert after.count('class="tag"') == before.count('class="tag"') + 1


def test_register_shows_the_marks_just_saved(world, login_as, monday, open_register, settings):
    register = open_register()
    url = reverse("absences:register", args=[register.id])
    teacher = _login(world.teacher, login_as)
    before = _warm(teacher, url).content
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    after = assert_fresh(teacher, url, settings).content
    assert _TOKEN.sub(b"", after) != _TOKEN.sub(b"", before)
