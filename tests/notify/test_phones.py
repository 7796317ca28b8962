"""Phone numbers as people type them: France, its overseas departments (their own
country codes), other countries in international format, and the message for a
number that is none. The SMS gateway, the CSV import and the admin form all go
through ent/phones.py."""

import datetime

import pytest
from django.utils import translation

from ent import phones
from ent.directory.admin import UserChangeAdminForm
from ent.directory.imports import messages
from ent.directory.imports.parsing import PUPILS, parse_bytes
from ent.notify.api import notify
from ent.notify.models import NotificationSettings
from tests.imports import samples


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Mainland France, as people write it.
        ("06 12 34 56 78", "+33612345678"),
        ("0612.34.56.78", "+33612345678"),
        ("07 81 23 45 67", "+33781234567"),
        ("01 23 45 67 89", "+33123456789"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        # Réunion: +262, fixed 0262, mobiles 0692 / 0693.
        ("0262 12 34 56", "+262262123456"),
        ("0692 12 34 56", "+262692123456"),
        ("0693 12 34 56", "+262693123456"),
        # Mayotte: +262 too, fixed 0269, mobile 0639.
        ("0269 61 23 45", "+262269612345"),
        ("0639 00 12 34", "+262639001234"),
        # Guadeloupe: +590.
        ("0590 12 34 56", "+590590123456"),
        ("0690 12 34 56", "+590690123456"),
        # Martinique: +596.
        ("0596 61 23 45", "+596596612345"),
        ("0696 12 34 56", "+596696123456"),
        # Guyane: +594.
        ("0594 12 34 56", "+594594123456"),
        ("0694 12 34 56", "+594694123456"),
        # An overseas number written with France's +33 is mended.
        ("+33 692 12 34 56", "+262692123456"),
        # Other countries, in international format.
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+49 1512 3456789", "+4915123456789"),
    ],
)
def test_numbers_people_type(raw, expected):
    assert phones.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "pas de numéro", "0612", "06 12 34 56 78 90", "+999 123 456", "0596 12 34 56", "07 11 22 33 44", "x" * 50],
)
def test_numbers_that_are_none_are_refused(raw):
    with pytest.raises(phones.InvalidPhoneNumber):
        phones.normalize_phone(raw)


def test_an_overseas_prefix_never_falls_back_to_plus_33():
    # 05 96 12 ... is an unallocated Martinique range. France's own metadata would
    # take it as +33 5 96 ...: a number that reaches no one. Refused instead.
    with pytest.raises(phones.InvalidPhoneNumber):
        phones.normalize_phone("05 96 12 34 56")


def test_the_refusal_says_how_to_write_a_number_in_french_and_english():
    with pytest.raises(phones.InvalidPhoneNumber) as refused:
        phones.normalize_phone("12")
    with translation.override("fr"):
        french = str(refused.value.message)
    with translation.override("en"):
        english = str(refused.value.message)
    assert "06 12 34 56 78" in french and "format international" in french
    assert "international format" in english and french != english


def test_display_is_national_at_home_and_international_abroad():
    assert phones.format_phone("+262692123456") == "0692 12 34 56"
    assert phones.format_phone("+33612345678") == "06 12 34 56 78"
    assert phones.format_phone("+447911123456") == "+44 7911 123456"
    assert phones.format_phone("old free text") == "old free text"


@pytest.mark.django_db
def test_sms_to_a_reunion_parent_goes_to_plus_262(world, sms_outbox, committed, settings):
    settings.NOTIFY_NIGHT_START_HOUR = settings.NOTIFY_NIGHT_END_HOUR = 0
    midnight = datetime.time(0, 0)
    NotificationSettings.objects.create(user=world.guardian, quiet_start=midnight, quiet_end=midnight)
    world.guardian.phone = "0692 12 34 56"
    world.guardian.save()
    with committed():
        notify([world.guardian], "absence.unexplained")
    assert [m["to"] for m in sms_outbox] == ["+262692123456"]


def test_import_stores_e164_and_refuses_bad_numbers_with_the_hint():
    rows = [
        "DUPONT;Émile;12/03/2017;M;123456789AB;CE2;CE2;3;DUPONT;Claire;;0692 12 34 56;MERE;;;;;",
        "MARTIN;Léo;12/03/2017;M;123456789AC;CE2;CE2;3;MARTIN;Paul;;06 12;PERE;;;;;",
    ]
    parsed = parse_bytes(samples.onde(rows), PUPILS)
    assert parsed.rows[0].guardians[0]["phone"] == "+262692123456"
    bad = [e for e in parsed.errors if e["code"] == "bad_phone"]
    assert len(bad) == 1 and parsed.rows[1].guardians[0]["phone"] == ""
    with translation.override("fr"):
        assert "0692 12 34 56" in str(messages.MESSAGES["bad_phone"])


@pytest.mark.django_db
def test_admin_form_cleans_to_e164_and_refuses_with_a_message(world):
    user = world.guardian

    def form(phone):
        data = {
            "username": user.username,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "phone": phone,
        }
        return UserChangeAdminForm(data, instance=user)

    good = form("0596 61 23 45")
    good.is_valid()
    assert "phone" not in good.errors and good.cleaned_data["phone"] == "+596596612345"
    with translation.override("fr"):
        bad = form("pas de numéro")
        bad.is_valid()
        assert "format international" in bad.errors["phone"][0]
