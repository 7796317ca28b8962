"""The page shell's fixed parts (ent/templatetags/shell.py): rendered once per
language and menu position, yet every page still marks its own link and
section, in the visitor's language."""

import re
from unittest import mock

import django.urls
import pytest
from django.urls import reverse

from ent.templatetags import shell

pytestmark = pytest.mark.django_db


def _menu(page):
    return re.search(r'<nav aria-label="[^"]+" class="main-nav">(.*?)</nav>', page, re.S).group(1)


def _link(menu, url):
    return re.search(rf'<a href="{re.escape(url)}"[^>]*>', menu).group(0)


def test_each_page_marks_its_own_link_and_section(world, login_as, no_page_cache):
    client = login_as(world.guardian)
    home, diary, agenda = reverse("home"), reverse("homework:week"), reverse("homework:calendar")

    menu = _menu(client.get(home).content.decode())
    assert 'aria-current="page"' in _link(menu, home)
    assert "aria-current" not in _link(menu, diary)

    # Another page of the diary's section: the diary's link is marked as the
    # section, not as the page, and home is no longer the current page.
    menu = _menu(client.get(agenda).content.decode())
    assert 'class="in-section"' in _link(menu, diary)
    assert "aria-current" not in _link(menu, diary)
    assert "aria-current" not in _link(menu, home)

    menu = _menu(client.get(diary).content.decode())
    assert 'aria-current="page"' in _link(menu, diary)


def test_the_menu_and_the_language_choice_follow_the_language(world, login_as, no_page_cache):
    client = login_as(world.guardian)
    french = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    client.cookies.pop("django_language", None)
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ">Accueil<" in _menu(french) and ">Home<" not in _menu(french)
    assert ">Home<" in _menu(english) and ">Accueil<" not in _menu(english)
    assert 'value="fr" selected' in french and 'value="en" selected' in english
    assert 'data-install-button="Add to home screen"' in english
    assert 'data-install-button="Add to home screen"' not in french


def test_signed_in_and_signed_out_pages_each_get_their_install_prompt(world, client, login_as, no_page_cache):
    signed_out = client.get(reverse("account_login")).content.decode()
    signed_in = login_as(world.guardian).get(reverse("home")).content.decode()
    assert 'data-signed-in=""' in signed_out
    assert 'data-signed-in="1"' in signed_in


def test_a_page_after_the_first_reverses_no_url_for_the_fixed_menu(world, login_as, no_page_cache):
    """The cost that was cut: each page reversed the menu's six fixed links again."""
    client = login_as(world.guardian)
    client.get(reverse("home"))  # the first page of this language renders the fragments
    # ("home" is reversed by the brand's link and the page itself too.)
    fixed = {*shell.NAV_URL_NAMES, "pwa_service_worker"} - {"home"}
    with mock.patch.object(django.urls, "reverse", wraps=django.urls.reverse) as spy:
        assert client.get(reverse("home")).status_code == 200
    reversed_names = {call.args[0] for call in spy.call_args_list if call.args}
    assert not reversed_names & fixed
