"""The declaration that can't go wrong (issue #22, item 3): no reason chosen for
the parent, the reasons that need a document say so on the page, a chosen file
survives a form error, days without school are warned about, and the notice
page says what happens next."""

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from absences import calendar, pending
from absences.models import AbsenceNotice
from absences.tasks import sweep_pending_documents

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF2 = b"%PDF-1.4\n2 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b" " * 100


def _url(world):
    return reverse("absences:declare", args=[world.pupil.id])


def _form(reason, day="2026-10-06", **extra):
    return {
        "start_date": day,
        "start_half_day": "am",
        "end_date": day,
        "end_half_day": "pm",
        "reason": getattr(reason, "id", reason),
        "comment": "",
        **extra,
    }


def _today(reason, **extra):
    """Today's date (S3 signs with the clock: no time travel with the store),
    confirmed in advance in case the tests run on a weekend or a holiday."""
    today = timezone.localdate().isoformat()
    return _form(reason, day=today, confirm_dates=f"{today}/{today}", **extra)


def _ticket(page: str) -> str:
    found = re.search(r'name="pending_document" value="([^"]+)"', page)
    return found.group(1) if found else ""


def _pending_keys(s3):
    return list(s3.list_keys(pending.PREFIX))


# --- The reasons -------------------------------------------------------------------------------


def test_no_reason_is_preselected_and_the_ones_needing_a_document_say_so(world, reasons, login_as, client):
    login_as(world.guardian)
    page = client.get(_url(world)).content.decode()
    select = re.search(r'<select name="reason".*?</select>', page, re.S).group(0)
    assert "selected" in select.split("</option>")[0] and 'value=""' in select.split("</option>")[0]
    assert select.count("selected") == 1
    # French first: the parent reads it beside the reason, before sending.
    assert "Rendez-vous médical — justificatif demandé" in select
    assert "Maladie — justificatif" not in select


def test_no_reason_chosen_is_refused_with_a_clear_message(world, reasons, monday, login_as, client):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    response = client.post(_url(world), _form(""))
    assert response.status_code == 200
    assert "Choose the reason of the absence." in response.content.decode()
    assert not AbsenceNotice.objects.exists()


def test_a_reason_needing_a_document_is_refused_without_one_before_anything_is_stored(
    world, reasons, login_as, client, s3
):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    response = client.post(_url(world), _today(reasons["doctor"]))
    assert response.status_code == 200
    assert "“Rendez-vous médical” needs a document" in response.content.decode()
    assert not AbsenceNotice.objects.exists() and list(s3.list_keys()) == []


# --- The file kept across an error ------------------------------------------------------------------


def test_a_file_chosen_is_kept_across_an_error_then_sent_and_scanned(
    world, reasons, login_as, client, s3, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    doc = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    # A mistyped end (before the start): the form is refused, the file is not lost.
    today = timezone.localdate()
    bad = _today(reasons["doctor"], document=doc, end_date=(today - dt.timedelta(days=1)).isoformat())
    response = client.post(_url(world), bad)
    page = response.content.decode()
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()
    assert "Already attached: certificat.pdf" in page and 'id="pending-document"' in page
    [key] = _pending_keys(s3)
    assert key.startswith(f"{pending.PREFIX}{world.guardian.id}/")
    # No link to the pending copy anywhere: it is in quarantine.
    assert key not in page
    ticket = _ticket(page)
    assert ticket

    # Sent again with the right dates and no new file: the kept one goes with it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(world), _today(reasons["doctor"], pending_document=ticket, pending_choice="keep"))
    notice = AbsenceNotice.objects.get()
    assert response.status_code == 302
    assert notice.document_name == "certificat.pdf" and notice.document_size == len(PDF)
    assert not notice.document_key.startswith(pending.PREFIX)
    assert notice.scan == "offered"  # it went through the antivirus like any upload
    assert _pending_keys(s3) == []


def test_the_kept_file_can_be_replaced(world, reasons, login_as, client, s3):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    doc = SimpleUploadedFile("ancien.pdf", PDF, content_type="application/pdf")
    page = client.post(_url(world), _today("", document=doc)).content.decode()
    ticket = _ticket(page)
    assert ticket and len(_pending_keys(s3)) == 1
    new = SimpleUploadedFile("nouveau.pdf", PDF2, content_type="application/pdf")
    data = _today(reasons["doctor"], pending_document=ticket, pending_choice="replace", document=new)
    assert client.post(_url(world), data).status_code == 302
    notice = AbsenceNotice.objects.get()
    assert notice.document_name == "nouveau.pdf" and notice.document_size == len(PDF2)
    assert _pending_keys(s3) == []


def test_replace_without_a_new_file_for_a_reason_needing_one_says_so(world, reasons, login_as, client, s3):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    doc = SimpleUploadedFile("ancien.pdf", PDF, content_type="application/pdf")
    ticket = _ticket(client.post(_url(world), _today("", document=doc)).content.decode())
    response = client.post(_url(world), _today(reasons["doctor"], pending_document=ticket, pending_choice="replace"))
    page = response.content.decode()
    assert response.status_code == 200 and "Choose the new file below" in page
    assert "Already attached: ancien.pdf" in page
    assert not AbsenceNotice.objects.exists()


def test_the_kept_file_can_be_dropped(world, reasons, login_as, client, s3):
    login_as(world.guardian)
    doc = SimpleUploadedFile("ancien.pdf", PDF, content_type="application/pdf")
    ticket = _ticket(client.post(_url(world), _today("", document=doc)).content.decode())
    data = _today(reasons["family"], pending_document=ticket, pending_choice="drop")
    assert client.post(_url(world), data).status_code == 302
    notice = AbsenceNotice.objects.get()
    assert notice.document_key == "" and _pending_keys(s3) == []


@pytest.mark.parametrize("who", ["guardian2", "forged"])
def test_a_ticket_of_someone_else_or_forged_is_not_honoured(world, reasons, login_as, client, s3, who):
    """The other parent of the same child cannot send the first one's kept file,
    and a ticket edited by hand names nothing."""
    login_as(world.guardian)
    doc = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    ticket = _ticket(client.post(_url(world), _today("", document=doc)).content.decode())
    client.logout()
    login_as(getattr(world, who) if who != "forged" else world.guardian)
    client.cookies.load({"django_language": "en"})
    if who == "forged":
        ticket = ticket[:-3] + ("AAA" if not ticket.endswith("AAA") else "BBB")
    response = client.post(_url(world), _today(reasons["doctor"], pending_document=ticket, pending_choice="keep"))
    page = response.content.decode()
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()
    assert "could not be kept: choose it again" in page and "certificat.pdf" not in page


def test_store_down_while_keeping_the_file_says_it_must_be_chosen_again(
    world, reasons, monday, login_as, client, settings
):
    from ent import storage

    settings.S3_ENDPOINT = "127.0.0.1:9"  # nothing listens there
    storage.reset_clients()
    try:
        login_as(world.guardian)
        client.cookies.load({"django_language": "en"})
        doc = SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")
        response = client.post(_url(world), _form("", document=doc))
        page = response.content.decode()
        assert response.status_code == 200 and 'id="document-lost"' in page
        assert "choose it again below" in page and not AbsenceNotice.objects.exists()
    finally:
        storage.reset_clients()


def test_the_sweep_removes_only_old_pending_files(world, reasons, login_as, client, s3):
    login_as(world.guardian)
    doc = SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")
    client.post(_url(world), _today("", document=doc))
    [key] = _pending_keys(s3)
    assert pending.do_sweep_pending() == []
    assert sweep_pending_documents() == 0  # the nightly task (CELERY_BEAT_SCHEDULE)
    later = timezone.now() + 2 * pending.MAX_AGE + dt.timedelta(minutes=5)
    assert pending.do_sweep_pending(now=later) == [key]
    assert _pending_keys(s3) == []


# --- Days without school ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, why",
    [
        ("2026-10-10", "a weekend day"),  # Saturday
        ("2026-11-11", "a public holiday (Armistice Day)"),  # a Wednesday
        ("2026-10-21", "a day of the All Saints' holidays"),
    ],
)
def test_a_day_without_school_is_warned_about_then_accepted_once_confirmed(
    world, reasons, monday, login_as, client, day, why
):
    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    response = client.post(_url(world), _form(reasons["family"], day=day))
    page = response.content.decode()
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()
    assert "There is no school on some of these days" in page and html.escape(why) in page
    assert f'name="confirm_dates" value="{day}/{day}"' in page
    # A confirmation given for other dates does not count for these.
    other = client.post(_url(world), _form(reasons["family"], day=day, confirm_dates="2026-10-06/2026-10-06"))
    assert other.status_code == 200 and not AbsenceNotice.objects.exists()
    confirmed = client.post(_url(world), _form(reasons["family"], day=day, confirm_dates=f"{day}/{day}"))
    assert confirmed.status_code == 302 and AbsenceNotice.objects.get().start_date.isoformat() == day


def test_a_weekend_inside_a_longer_absence_is_not_warned_about(world, reasons, monday, login_as, client):
    login_as(world.guardian)
    data = _form(reasons["family"], start_date="2026-10-09", end_date="2026-10-12")  # Friday to Monday
    assert client.post(_url(world), data).status_code == 302


def test_the_zone_of_the_school_brings_its_winter_and_spring_breaks(world, reasons, monday, login_as, client):
    from ent.directory.models import School

    login_as(world.guardian)
    client.cookies.load({"django_language": "en"})
    day = "2027-02-17"  # a Wednesday: zone A's winter break, not zone B's
    # Through the admin, where a school's zone is set: the pupil's enrolment
    # (and school) is cached under the directory's version, which the admin's
    # save bumps (a bare save() tells no one: the directory's actions own that).
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/")
    request.user = world.admin

    def set_zone(zone):
        world.school.holiday_zone = zone
        admin.site.get_model_admin(School).save_model(request, world.school, None, True)

    set_zone(School.HolidayZone.A)
    warned = client.post(_url(world), _form(reasons["family"], day=day)).content.decode()
    assert "a day of the winter holidays" in warned and not AbsenceNotice.objects.exists()
    set_zone(School.HolidayZone.B)
    assert client.post(_url(world), _form(reasons["family"], day=day)).status_code == 302


def test_a_school_without_a_zone_warns_about_national_dates_only(world, reasons, monday, login_as, client):
    login_as(world.guardian)
    assert world.school.holiday_zone == ""
    assert client.post(_url(world), _form(reasons["family"], day="2027-02-17")).status_code == 302


def test_a_closed_day_of_the_pupils_school_is_warned_about_with_its_label(world, reasons, monday, login_as, client):
    from ent.directory.models import ClosedDay

    ClosedDay.objects.create(school=world.school, date=dt.date(2026, 10, 6), label="journée pédagogique")
    login_as(world.guardian)
    response = client.post(_url(world), _form(reasons["family"], day="2026-10-06"))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()
    assert "Le mardi 6 octobre 2026 : le collège est fermé ce jour-là (journée pédagogique)." in page
    client.cookies.load({"django_language": "en"})
    page = html.unescape(client.post(_url(world), _form(reasons["family"], day="2026-10-06")).content.decode())
    assert "the secondary school is closed that day (journée pédagogique)" in page
    confirmed = client.post(
        _url(world), _form(reasons["family"], day="2026-10-06", confirm_dates="2026-10-06/2026-10-06")
    )
    assert confirmed.status_code == 302 and AbsenceNotice.objects.count() == 1


def test_another_schools_closed_day_is_not_the_pupils(world, reasons, monday, login_as, client):
    from ent.directory.models import ClosedDay

    ClosedDay.objects.create(school=world.school_b, date=dt.date(2026, 10, 6), label="ailleurs")
    login_as(world.guardian)
    assert client.post(_url(world), _form(reasons["family"], day="2026-10-06")).status_code == 302


def test_calendar():
    assert calendar.easter(2027) == dt.date(2027, 3, 28)
    assert calendar.easter(2026) == dt.date(2026, 4, 5)
    holidays = calendar.public_holidays(2027)
    assert dt.date(2027, 3, 29) in holidays and dt.date(2027, 5, 6) in holidays  # Easter Monday, Ascension
    assert calendar.why_closed(dt.date(2026, 10, 6)) is None  # a Tuesday in term
    assert calendar.why_closed(dt.date(2026, 11, 2)) is None  # back to school after All Saints
    assert calendar.why_closed(dt.date(2026, 10, 30)) is not None
    days = [c.day for c in calendar.closed_days(dt.date(2026, 10, 9), dt.date(2026, 10, 12))]
    assert days == [dt.date(2026, 10, 10), dt.date(2026, 10, 11)]
    assert calendar.doubtful_days(dt.date(2026, 10, 9), dt.date(2026, 10, 12)) == []


# --- The notice page ------------------------------------------------------------------------------


def _notice(world, reasons):
    from tests.absences.conftest import declare

    return declare(world, reasons["family"], dt.date(2026, 10, 6), dt.date(2026, 10, 6))


def test_the_notice_page_says_what_happens_next(world, reasons, monday, login_as, client):
    notice = _notice(world, reasons)
    login_as(world.guardian)
    page = client.get(reverse("absences:notice_detail", args=[notice.id])).content.decode()
    assert 'id="what-next"' in page and "L’école va regarder votre déclaration" in page
    client.logout()
    login_as(world.vie_scolaire)
    page = client.get(reverse("absences:notice_detail", args=[notice.id])).content.decode()
    assert 'id="what-next"' not in page


@pytest.mark.parametrize("persona", ["outsider_parent", "parent_b"])
def test_the_notice_page_of_another_family_is_404(world, reasons, monday, login_as, client, persona):
    notice = _notice(world, reasons)
    login_as(getattr(world, persona))
    assert client.get(reverse("absences:notice_detail", args=[notice.id])).status_code == 404


def test_wrong_methods_are_405(world, reasons, monday, login_as, client):
    notice = _notice(world, reasons)
    login_as(world.guardian)
    assert client.put(_url(world)).status_code == 405
    assert client.post(reverse("absences:notice_detail", args=[notice.id])).status_code == 405
    assert AbsenceNotice.objects.count() == 1


def test_the_declaration_page_costs_a_few_queries(world, reasons, login_as, client, django_assert_max_num_queries):
    login_as(world.guardian)
    client.get(_url(world))
    with django_assert_max_num_queries(12):
        assert client.get(_url(world)).status_code == 200
