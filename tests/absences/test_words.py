"""Absences in plain words, in French and in English: the glossary's states, the
dates a family says, the school's reasons with their English label, and the
alerts rendered in the reader's language."""

import datetime as dt

import pytest
from django.urls import reverse

from absences import actions
from absences.models import AbsenceEvent
from ent.notify.models import Notification
from ent.notify.rendering import render
from tests.absences.conftest import declare

pytestmark = pytest.mark.django_db


def _absent_this_morning(world, open_register):
    register = open_register(8)
    actions.do_save_register(world.teacher, register, {world.pupil.id: ("absence", None)}, finish=True)
    return AbsenceEvent.objects.get(pupil=world.pupil)


def test_the_alert_reads_in_the_readers_language(world, reasons, monday, open_register):
    _absent_this_morning(world, open_register)
    alert = Notification.objects.filter(kind="absence.unexplained", recipient=world.guardian).get()
    # Monday 5 October 2026 (tests/absences/conftest.py MONDAY), a morning lesson.
    french = render(alert, language="fr").subject
    english = render(alert, language="en").subject
    assert french.startswith("Absence à expliquer : lundi 5 octobre, le matin"), french
    assert english.startswith("Absence to explain: Monday 5 October, morning"), english
    assert "matin" not in english


def test_the_pupil_file_in_french_and_in_english(world, reasons, monday, open_register, login_as):
    reason = reasons["family"]
    reason.label_en = "Family reason"
    reason.save(update_fields=["label_en"])
    event = _absent_this_morning(world, open_register)
    actions.do_update_event(world.vie_scolaire, event, reason=reason, state="unexplained", settled=False, comment="")
    c = login_as(world.guardian)
    url = reverse("absences:pupil_file", args=[world.pupil.id])

    french = c.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "lundi 5 octobre" in french and "de 8 h 00 à 8 h 55" in french
    assert "Absence justifiée" in french and "Raison familiale" in french
    assert "Family reason" not in french

    english = c.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Monday 5 October" in english and "from 8:00 to 8:55" in english
    assert "Justified absence" in english and "Family reason" in english
    assert "Raison familiale" not in english


def test_a_reason_without_english_label_stays_french_in_english(world, reasons, monday, open_register, login_as):
    event = _absent_this_morning(world, open_register)
    actions.do_update_event(
        world.vie_scolaire, event, reason=reasons["family"], state="unexplained", settled=False, comment=""
    )
    html = login_as(world.guardian).get(
        reverse("absences:pupil_file", args=[world.pupil.id]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Raison familiale" in html.content.decode()


def test_a_notice_waits_then_is_refused_with_the_schools_words(world, reasons, monday, login_as):
    day = dt.date(2026, 10, 7)
    notice = declare(world, reasons["family"], day, day, end_half="am")
    c = login_as(world.guardian)
    url = reverse("absences:notice_detail", args=[notice.id])
    page = c.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "En attente de l’école" in page and "mercredi 7 octobre, le matin" in page
    assert "à traiter" not in page

    actions.do_reject_notice(world.vie_scolaire, notice, reason_text="Il faut un mot signé.")
    page = c.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Refusée : Il faut un mot signé." in page
    told = Notification.objects.get(kind="absence.notice_treated", recipient=world.guardian)
    assert render(told, language="fr").subject.startswith("Votre déclaration d’absence : Refusée : Il faut un mot")
    assert render(told, language="en").subject.startswith("Your absence notice: Refused: Il faut un mot")
    assert "Wednesday 7 October, morning" in render(told, language="en").text


def test_the_english_label_of_a_reason_is_edited_with_the_reason(world, login_as):
    from absences.models import Reason

    c = login_as(world.vie_scolaire)
    response = c.post(
        reverse("absences:reasons", args=[world.school.id]),
        {"label": "Maladie", "label_en": "Illness", "counts_as_justified": "on", "position": 0},
    )
    assert response.status_code == 302
    assert Reason.objects.get(school=world.school, label="Maladie").label_en == "Illness"
