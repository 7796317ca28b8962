"""The actions own the page cache's invalidation (house rule R5): for each write
action of absences, a cached page rendered before it is not served after it.
There are no post_save receivers any more: a write that forgot to bump would
leave the page below served from the cache.

Writes shown on no cached page are not walked: vie scolaire's entries without a
register (do_record_absences), the alerts and the audit log (absences/pagescopes.py)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from absences import actions, pagescopes
from absences.models import AbsenceEvent, Register
from tests.absences.conftest import declare
from tests.pagecache_checks import cache_page, get_page, served_from_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _cached(user, login_as, url):
    """A client of `user` whose next GET of `url` is served from the page cache."""
    client = login_as(user, the_client=Client())
    cache_page(client, url)
    return client


def _not_served_from_cache(client, url, status=200):
    response = get_page(client, url, status)
    assert not served_from_cache(response), f"{url}: a stale page was served"
    return response


def _register_url(register):
    return reverse("absences:register", args=[register.id])


def test_saving_the_register(world, monday, login_as, open_register):
    register = open_register()
    url = _register_url(register)
    client = _cached(world.teacher, login_as, url)
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=False)
    assert _not_served_from_cache(client, url).content.decode().count('class="pupil-row marked mark-absence"') == 1


def test_opening_a_register_bumps_it(world, monday, open_register, monkeypatch):
    """A new register's id may have been looked up before it existed (the cached
    register row keeps "none" too): opening it bumps its scope."""
    bumped = []
    real = pagescopes.bump_registers
    monkeypatch.setattr(pagescopes, "bump_registers", lambda ids: (bumped.extend(ids), real(ids)))
    register = open_register()
    assert register.id in bumped
    bumped.clear()
    assert open_register().id == register.id  # the same slot: nothing written
    assert bumped == []


def test_vie_scolaire_changing_a_register_absence(world, monday, login_as, open_register, reasons):
    register = open_register()
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    url = _register_url(register)
    client = _cached(world.teacher, login_as, url)
    event = AbsenceEvent.objects.get(register=register, pupil=world.pupil)
    actions.do_update_event(
        world.vie_scolaire, event, reason=reasons["family"], state=event.state, settled=False, comment="vu"
    )
    _not_served_from_cache(client, url)


def test_declaring_a_notice_over_the_registers_day(world, monday, login_as, open_register, reasons):
    register = open_register()
    url = _register_url(register)
    client = _cached(world.teacher, login_as, url)
    declare(world, reasons["illness"], register.date, register.date)
    assert 'class="tag"' in _not_served_from_cache(client, url).content.decode()


@pytest.mark.parametrize("treat", ["validate", "reject"])
def test_treating_a_notice_over_the_registers_day(world, monday, login_as, open_register, reasons, treat):
    register = open_register()
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    notice = declare(world, reasons["illness"], register.date, register.date)
    url = _register_url(register)
    client = _cached(world.teacher, login_as, url)
    if treat == "validate":
        actions.do_validate_notice(world.vie_scolaire, notice)
    else:
        actions.do_reject_notice(world.vie_scolaire, notice, reason_text="Pas de certificat.")
    page = _not_served_from_cache(client, url).content.decode()
    # A rejected notice no longer announces the absence.
    assert ('class="tag"' in page) is (treat == "validate")


def test_the_nightly_purge(world, monday, login_as):
    """A register past retention: its page (vie scolaire may open old ones) goes
    with it, although a purge deletes in bulk and sends no signal."""
    old_day = dt.date(2025, 6, 2)
    register = Register.objects.create(
        school=world.school,
        school_class=world.klass,
        date=old_day,
        half_day="am",
        starts_at=dt.time(9),
        ends_at=dt.time(9, 55),
        opened_by=world.teacher,
    )
    url = _register_url(register)
    client = _cached(world.vie_scolaire, login_as, url)
    counts = actions.do_purge_expired(today=dt.date(2026, 10, 5))
    assert counts["registers"] == 1
    _not_served_from_cache(client, url, status=404)


def test_saving_a_reason(world, monday, login_as, reasons):
    """Reasons are school configuration, bumped as the directory is: the home
    page (cached under the directory's version) is rendered again."""
    from absences.forms import ReasonForm

    url = reverse("home")
    client = _cached(world.guardian, login_as, url)
    reason = reasons["family"]
    form = ReasonForm({"label": "Raison de famille", "position": 3, "is_active": True}, instance=reason)
    assert form.is_valid(), form.errors
    actions.do_save_reason(world.vie_scolaire, form)
    _not_served_from_cache(client, url)
