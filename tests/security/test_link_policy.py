"""Links in what people write (issue 24, item 7): only absolute https:// and
mailto: links stay links; protocol-relative (//host), other relative links,
plain http and every other scheme become plain text (ent/sanitize.py)."""

import pytest

from ent.sanitize import linkify_text, sanitize_html

DROPPED = [
    "//example.org/page",
    " //example.org/",
    "/\\example.org",
    "\\\\example.org",
    "https:example.org",
    "https:///example.org",
    "http://example.org/",
    "/cahier/",
    "page.html",
    "#top",
    "javascript:alert(1)",
    "data:text/html,x",
    "ftp://example.org/",
]


@pytest.mark.parametrize("href", DROPPED)
def test_a_link_that_is_not_absolute_https_loses_its_href(href):
    html = sanitize_html(f'<p><a href="{href}">texte</a></p>')
    assert "href" not in html and "texte" in html


@pytest.mark.parametrize("href", DROPPED[:3])
def test_even_inside_code_blocks(href):
    assert "href" not in sanitize_html(f'<pre><a href="{href}">x</a></pre><code><a href="{href}">y</a></code>')


@pytest.mark.parametrize(
    ("href", "blank"), [("https://example.org/page?a=1", True), ("HTTPS://EXAMPLE.ORG", True), ("mailto:a@b.fr", False)]
)
def test_https_and_mailto_stay_links(href, blank):
    html = sanitize_html(f'<a href="{href}">ici</a>')
    assert f'href="{href}"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert ('target="_blank"' in html) is blank


def test_plain_text_links_become_https_links_and_http_stays_text():
    html = linkify_text("Voir ecole.fr, https://ent.fr/x et http://vieux.fr ou //example.org")
    assert 'href="https://ecole.fr"' in html and 'href="https://ent.fr/x"' in html
    assert 'href="http://' not in html and 'href="//' not in html
    assert "http://vieux.fr" in html


@pytest.mark.django_db
def test_a_stored_message_keeps_no_protocol_relative_link(world):
    from messaging import actions

    conv = actions.do_start_conversation(world.guardian, [world.teacher.pk], "Sujet", "Bonjour")
    message = actions.do_send_message(world.guardian, conv, '<a href="//evil.example/">lien</a>', rich=True)
    assert "href" not in message.html and "lien" in message.html
