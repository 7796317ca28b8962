"""The apps' privacy hooks: a family's data export holds their child's homework
and absence data, never another family's; the purge hooks follow each app's own
retention rules."""

import io
import json
import urllib.request
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from absences.models import AbsenceEvent, AbsenceNotice, Reason
from absences.models import AuditEntry as AbsenceAudit
from ent.directory import privacy
from ent.directory.models import DataExport
from homework.models import CalendarFeed, Done, Entry, Reminder, Submission

pytestmark = pytest.mark.django_db


def aware(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@pytest.fixture
def homework(world):
    entry = Entry.objects.create(
        school=world.school,
        school_class=world.klass,
        subject=world.subject,
        author=world.teacher,
        title="Exercices page 42",
        given_on=date(2026, 11, 2),
        due_on=date(2026, 11, 4),
        hand_in=True,
    )
    for pupil, name in ((world.pupil, "lea-fractions.pdf"), (world.outsider_pupil, "noe-secret-copie.pdf")):
        Done.objects.create(entry=entry, pupil=pupil)
        Submission.objects.create(entry=entry, pupil=pupil, key=f"hw/{name}", filename=name, size=1234)
    CalendarFeed.objects.create(owner=world.guardian, pupil=world.pupil)
    CalendarFeed.objects.create(owner=world.outsider_parent, pupil=world.outsider_pupil)
    return entry


@pytest.fixture
def absences(world):
    illness = Reason.objects.create(school=world.school, label="Maladie", is_private=True)
    family = Reason.objects.create(school=world.school, label="Raison familiale (Bernard)")
    day = date(2026, 11, 9)
    for pupil, reason, doc, comment in (
        (world.pupil, illness, "certificat-lea.pdf", "Léa a de la fièvre"),
        (world.outsider_pupil, family, "justificatif-noe.pdf", "Mariage chez les Bernard"),
    ):
        AbsenceEvent.objects.create(
            pupil=pupil,
            school=world.school,
            school_class=world.klass,
            date=day,
            half_day="am",
            starts_at=aware(day, 8),
            ends_at=aware(day, 12),
            state=AbsenceEvent.State.JUSTIFIED,
            reason=reason,
        )
        AbsenceNotice.objects.create(
            pupil=pupil,
            school=world.school,
            declared_by=world.guardian if pupil == world.pupil else world.outsider_parent,
            start_date=day,
            start_half_day="am",
            end_date=day,
            end_half_day="am",
            starts_at=aware(day, 0),
            ends_at=aware(day, 12),
            reason=reason,
            comment=comment,
            document_key=f"absences/{doc}",
            document_name=doc,
        )
        AbsenceAudit.objects.create(
            viewer=world.vie_scolaire, viewer_name="Nicolas Girard CPE", pupil=pupil, school=world.school, what="file"
        )


def test_a_family_export_holds_their_child_homework_and_absences_only(world, homework, absences):
    data = privacy.collect_personal_data(world.guardian)
    everything = json.dumps(data, ensure_ascii=False, default=str)

    hw = data["sections"]["homework"]
    lea = next(c for c in hw["children"] if c["username"] == "eleve_t")
    assert [d["entry"]["title"] for d in lea["done"]] == ["Exercices page 42"]
    assert [h["file_name"] for h in lea["hand_ins"]] == ["lea-fractions.pdf"]
    assert len(hw["calendar_feeds"]) == 1 and hw["calendar_feeds"][0]["for"] == "Léa Martin"
    # The secret feed address and the stored files' keys are not data about the family.
    assert CalendarFeed.objects.get(owner=world.guardian).token not in everything
    assert "hw/lea-fractions.pdf" not in everything

    ab = data["sections"]["absences"]
    lea = next(c for c in ab["children"] if c["username"] == "eleve_t")
    assert [e["reason"] for e in lea["events"]] == ["Maladie"]
    assert [(n["reason"], n["document_name"], n["declared_by_you"]) for n in lea["notices"]] == [
        ("Maladie", "certificat-lea.pdf", True)
    ]
    assert len(lea["record_viewed"]) == 1
    assert "Nicolas Girard CPE" not in everything

    # Never another family's: the other pupil of the same class, their parent, their reasons.
    for other in ("noe-secret-copie.pdf", "justificatif-noe.pdf", "Mariage chez les Bernard", "Bernard", "eleve_x_t"):
        assert other not in everything, other


def test_the_other_family_sees_only_theirs(world, homework, absences):
    everything = json.dumps(privacy.collect_personal_data(world.outsider_parent), ensure_ascii=False, default=str)
    assert "noe-secret-copie.pdf" in everything and "justificatif-noe.pdf" in everything
    assert "lea-fractions.pdf" not in everything and "certificat-lea.pdf" not in everything
    assert "Léa a de la fièvre" not in everything


def test_a_pupil_export_holds_their_own_homework_and_absences(world, homework, absences):
    data = privacy.collect_personal_data(world.pupil)
    assert [h["file_name"] for h in data["sections"]["homework"]["hand_ins"]] == ["lea-fractions.pdf"]
    assert [n["document_name"] for n in data["sections"]["absences"]["notices"]] == ["certificat-lea.pdf"]
    assert "noe-secret-copie.pdf" not in json.dumps(data, default=str)


def test_a_teacher_export_lists_the_entries_they_wrote_not_the_pupils_work(world, homework, absences):
    data = privacy.collect_personal_data(world.teacher)
    assert [e["title"] for e in data["sections"]["homework"]["entries_written"]] == ["Exercices page 42"]
    everything = json.dumps(data, default=str)
    assert "lea-fractions.pdf" not in everything and "noe-secret-copie.pdf" not in everything


def test_the_downloaded_zip_holds_the_sections(
    world, homework, absences, client, login_as, s3, django_capture_on_commit_callbacks
):
    login_as(world.guardian)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy_export"))
    export = DataExport.objects.get(user=world.guardian)
    response = client.get(reverse("privacy_export_download", args=[export.id]))
    with urllib.request.urlopen(response.url, timeout=10) as fetched:
        archive = zipfile.ZipFile(io.BytesIO(fetched.read()))
    html = archive.read("mes-donnees.html").decode()
    assert "lea-fractions.pdf" in html and "certificat-lea.pdf" in html
    assert "noe-secret-copie.pdf" not in html and "justificatif-noe.pdf" not in html


def test_purge_hooks_follow_each_app_rules(world, homework, absences, s3):
    old = timezone.now() - timedelta(days=400)
    Reminder.objects.create(pupil=world.pupil, due_on=date(2025, 10, 1), sent_at=old)
    Reminder.objects.create(pupil=world.pupil, due_on=date(2026, 11, 4))
    CalendarFeed.objects.filter(owner=world.outsider_parent).update(revoked_at=old)
    dry = privacy.purge_old_records(dry_run=True)
    assert dry.details["homework"] == 2 and dry.details["absences"] == 0
    assert Reminder.objects.count() == 2
    privacy.purge_old_records()
    assert Reminder.objects.count() == 1 and CalendarFeed.objects.count() == 1
    # The diary is an official record and absences keep their own (per territory)
    # rule: nothing of theirs goes with the directory's 12-month log purge.
    assert Submission.objects.count() == 2 and Done.objects.count() == 2 and Entry.objects.count() == 1
    assert AbsenceEvent.objects.count() == 2 and AbsenceNotice.objects.count() == 2
    assert privacy.purge_old_records().details["homework"] == 0


@pytest.fixture
def conversations(world):
    from messaging.models import Conversation, Message, Participant

    for parent, text in ((world.guardian, "Léa a oublié son cahier"), (world.outsider_parent, "Noé déménage bientôt")):
        conversation = Conversation.objects.create(
            school=world.school, subject=f"Question {parent.username}", created_by=parent
        )
        for person in (parent, world.teacher):
            Participant.objects.create(conversation=conversation, user=person)
        Message.objects.create(conversation=conversation, author=parent, body=text, html=text)
        Message.objects.create(conversation=conversation, author=world.teacher, body="Bien reçu", html="Bien reçu")


def test_messaging_export_holds_the_family_conversations_only(world, conversations):
    data = privacy.collect_personal_data(world.guardian)
    [conversation] = data["sections"]["messaging"]["conversations"]
    assert [(m["text"], m["written_by_this_person"]) for m in conversation["messages"]] == [
        ("Léa a oublié son cahier", True),
        ("Bien reçu", False),
    ]
    assert "Noé déménage bientôt" not in json.dumps(data, ensure_ascii=False, default=str)
    teacher = json.dumps(privacy.collect_personal_data(world.teacher), ensure_ascii=False, default=str)
    assert "Léa a oublié son cahier" in teacher and "Noé déménage bientôt" in teacher


def test_media_export_lists_what_the_person_proposed(world):
    from media.models import Item

    Item.objects.create(school=world.school, kind="link", title="Géogébra en ligne", created_by=world.teacher)
    assert [
        i["title"] for i in privacy.collect_personal_data(world.teacher)["sections"]["media"]["resources_proposed"]
    ] == ["Géogébra en ligne"]
    assert privacy.collect_personal_data(world.guardian)["sections"]["media"]["resources_proposed"] == []


def test_the_readable_export_has_french_titles_tables_and_only_the_family(world, homework, absences):
    data = privacy.collect_personal_data(world.guardian)
    html = privacy.render_export_html(data, world.guardian)
    for title in ("<h2>Cahier de textes</h2>", "<h2>Absences</h2>", "<h2>Messagerie</h2>", "<h2>Ressources</h2>"):
        assert title in html, title
    assert "<h2>homework</h2>" not in html and "<pre>" not in html
    # Lists of records are tables with translated headers; dates in French.
    assert "<table>" in html and '<th scope="col">Motif</th>' in html
    assert "9 novembre 2026" in html and "2026-11-09" not in html
    assert "Léa a de la fièvre" in html and "lea-fractions.pdf" in html
    for other in ("noe-secret-copie.pdf", "justificatif-noe.pdf", "Mariage chez les Bernard", "eleve_x_t"):
        assert other not in html, other


def test_the_readable_export_escapes_every_value():
    node = privacy.readable({"comment": "<script>alert(1)</script>", "rows": [{"title": "<b>x</b>"}]})
    html = privacy.render_to_string("directory/privacy/_value.html", {"node": node})
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html
