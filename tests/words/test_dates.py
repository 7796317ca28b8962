"""Dates, sizes and the glossary's words as a family reads them, in French and
in English (ent/dates.py, ent/words.py, ent/glossary.py, the `words` library)."""

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation

from ent import dates, glossary, words

PARIS = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(autouse=True)
def in_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), tick=False):
        yield


def aware(*args):
    return timezone.make_aware(dt.datetime(*args))


def say(lang, fn, *args):
    with translation.override(lang):
        return fn(*args)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["jeudi 3 décembre", "mardi 1er décembre", "mercredi 1er janvier 2025"]),
        ("en", ["Thursday 3 December", "Tuesday 1 December", "Wednesday 1 January 2025"]),
    ],
)
def test_days_as_people_say_them(lang, expected):
    # "1er" in French only; the year only when it is not this year.
    got = [say(lang, dates.day, d) for d in (dt.date(2026, 12, 3), dt.date(2026, 12, 1), dt.date(2025, 1, 1))]
    assert got == expected


def test_half_days_hours_and_moments():
    d = dt.date(2026, 12, 3)
    assert say("fr", dates.half_day, d, "am") == "jeudi 3 décembre, le matin"
    assert say("fr", dates.half_day, d, "pm") == "jeudi 3 décembre, l’après-midi"
    assert say("en", dates.half_day, d, "am") == "Thursday 3 December, morning"
    assert say("en", dates.half_day, d, "pm") == "Thursday 3 December, afternoon"
    assert say("fr", dates.hours, dt.time(8), dt.time(12)) == "de 8 h 00 à 12 h 00"
    assert say("en", dates.hours, dt.time(8), dt.time(12)) == "from 8:00 to 12:00"
    assert say("fr", dates.moment, aware(2026, 12, 2, 17, 21)) == "mercredi 2 décembre à 17 h 21"
    assert say("en", dates.moment, aware(2026, 12, 2, 17, 21)) == "Wednesday 2 December at 17:21"


@pytest.mark.parametrize(
    ("start", "end", "fr", "en"),
    [
        ((2026, 12, 3, 0), (2026, 12, 3, 12), "jeudi 3 décembre, le matin", "Thursday 3 December, morning"),
        ((2026, 12, 3, 12), (2026, 12, 4, 0), "jeudi 3 décembre, l’après-midi", "Thursday 3 December, afternoon"),
        ((2026, 12, 3, 0), (2026, 12, 4, 0), "jeudi 3 décembre, toute la journée", "Thursday 3 December, all day"),
        (
            (2026, 12, 3, 8, 30),
            (2026, 12, 3, 10),
            "jeudi 3 décembre, de 8 h 30 à 10 h 00",
            "Thursday 3 December, from 8:30 to 10:00",
        ),
        (
            (2026, 12, 1, 0),
            (2026, 12, 3, 12),
            "du mardi 1er décembre au jeudi 3 décembre (matin)",
            "from Tuesday 1 December to Thursday 3 December (morning)",
        ),
        (
            (2026, 12, 1, 12),
            (2026, 12, 4, 0),
            "du mardi 1er décembre (après-midi) au jeudi 3 décembre",
            "from Tuesday 1 December (afternoon) to Thursday 3 December",
        ),
    ],
)
def test_a_period_said_in_one_phrase(start, end, fr, en):
    # Not "3 décembre 2026 00:00 au 3 décembre 2026 12:00".
    assert say("fr", dates.span, aware(*start), aware(*end)) == fr
    assert say("en", dates.span, aware(*start), aware(*end)) == en


def test_a_period_of_dates_or_of_words_the_caller_wrote():
    assert (
        say("fr", dates.span, dt.date(2026, 10, 1), dt.date(2026, 10, 3)) == "du jeudi 1er octobre au samedi 3 octobre"
    )
    assert say("fr", dates.span, dt.date(2026, 10, 1), "3 octobre") == "du jeudi 1er octobre au 3 octobre"
    assert say("en", dates.span, dt.date(2026, 10, 1), dt.date(2026, 10, 1)) == "Thursday 1 October"


@pytest.mark.parametrize(
    ("n", "fr", "en"),
    [
        (1, "1 octet", "1 byte"),
        (999, "999 octets", "999 bytes"),
        (123456, "121 Ko", "121 KB"),
        (1234567, "1,2 Mo", "1.2 MB"),
        (3 * 1024**3, "3,0 Go", "3.0 GB"),
    ],
)
def test_sizes_in_ko_and_mo(n, fr, en):
    assert say("fr", words.size, n) == fr
    assert say("en", words.size, n) == en


def test_elision_before_a_vowel_in_french_only():
    assert say("fr", words.elide, "Nouveau message de Anne Leroy") == "Nouveau message d’Anne Leroy"
    assert say("fr", words.elide, "de Émile, de Hugo, de Yann, de Paul") == "d’Émile, de Hugo, de Yann, de Paul"
    assert say("en", words.elide, "Anne de Ocampo") == "Anne de Ocampo"


def test_the_glossary_states_read_as_sentences():
    with translation.override("fr"):
        assert glossary.notice_state("pending") == "En attente de l’école"
        assert glossary.notice_state("validated") == "Acceptée"
        assert glossary.notice_state("rejected", "Pas de justificatif") == "Refusée : Pas de justificatif"
        assert glossary.notice_state("rejected") == "Refusée"
        assert [glossary.absence_state(s) for s in ("unexplained", "justified", "unjustified")] == [
            "Absence à expliquer",
            "Absence justifiée",
            "Absence non justifiée",
        ]
    with translation.override("en"):
        assert glossary.notice_state("pending") == "Waiting for the school"
        assert glossary.absence_state("unexplained") == "Absence to explain"


def test_every_glossary_term_is_translated_and_defined():
    assert len(glossary.TERMS) >= 15
    for name, term in glossary.TERMS.items():
        with translation.override("en"):
            english = str(term)
        with translation.override("fr"):
            assert str(term) != english, f"{name} has no French translation"
        assert term.definition, name


def test_the_template_library():
    template = Template(
        "{% load words %}{{ d|half_day:'pm' }} · {{ n|size }} · {{ s|absence_state }} · {{ s2|notice_state:why }}"
    )
    context = Context({"d": dt.date(2026, 12, 3), "n": 2048, "s": "justified", "s2": "rejected", "why": "Trop tard"})
    with translation.override("fr"):
        assert (
            template.render(context)
            == "jeudi 3 décembre, l’après-midi · 2,0 Ko · Absence justifiée · Refusée : Trop tard"
        )
    with translation.override("en"):
        assert (
            template.render(context)
            == "Thursday 3 December, afternoon · 2.0 KB · Justified absence · Refused: Trop tard"
        )
