"""Issue 8's "done when", through the real pages: in the demo, the territory admin
imports a class from the shipped ONDE sample, prints the login letters, and a new
parent activates their account with the code from the PDF and sees their child."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from ent.directory.models import Enrollment, Guardianship, ImportJob, School, SchoolClass, User

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "onde-cm1-demo.csv"
DEMO_PRIMARY_UAI = "0259901A"


def pages_text(pdf_bytes: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


@pytest.mark.django_db
def test_admin_imports_the_sample_prints_letters_and_a_parent_activates(
    client, login_as, settings, s3, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    settings.DEBUG = False
    settings.LANGUAGE_CODE = "fr"
    school = School.objects.get(uai=DEMO_PRIMARY_UAI)
    admin = User.objects.get(username="admin")
    login_as(admin)

    # The management pages are one click away from the admin's home page.
    home = client.get(reverse("home")).content.decode()
    assert reverse("import_start", args=[school.id]) in home

    # Upload: the preview is clean and lists the new class, pupils and guardians.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_start", args=[school.id]),
            {
                "kind": "pupils",
                "scope": "classes",
                "file": SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes(), content_type="text/csv"),
            },
        )
    job = ImportJob.objects.get(school=school)
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.id])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY and job.errors == [] and job.warnings == []
    assert job.summary["by_entity"] == {"class": {"create": 1}, "pupil": {"create": 12}, "guardian": {"create": 18}}
    preview = client.get(response.url).content.decode()
    assert reverse("import_apply", args=[job.id]) in preview
    assert not SchoolClass.objects.filter(school=school, name="CM1 B").exists()

    # Apply: the class exists with its 12 pupils; the demo's CM1 is untouched.
    cm1_before = Enrollment.objects.filter(school_class__school=school, school_class__name="CM1", left_on=None).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_apply", args=[job.id]))
    assert response.status_code == 302
    result = client.get(reverse("import_detail", args=[job.id])).content.decode()
    assert reverse("login_letters", args=[school.id]) in result
    klass = SchoolClass.objects.get(school=school, name="CM1 B", year__is_current=True)
    assert Enrollment.objects.filter(school_class=klass).count() == 12
    assert (
        Enrollment.objects.filter(school_class__school=school, school_class__name="CM1", left_on=None).count()
        == cm1_before
    )

    # Letters for the class: one page per pupil and per guardian (twins share a parent).
    response = client.post(reverse("login_letters", args=[school.id]), {"school_class": klass.id, "only_new": "on"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    texts = pages_text(pdf)
    assert len(texts) == 12 + 18
    parent = User.objects.get(email="amandine.roche@demo.example.org")
    child = User.objects.get(external_id="081704127KA")
    assert Guardianship.objects.filter(guardian=parent, pupil=child).exists()
    page = next(t for t in texts if parent.username in t)
    assert "Maëlys" in page
    code = re.search(r"(?:Code d’activation|Code d'activation|Activation code)\s*:\s*(\S+)", page).group(1)

    # The parent, on their own browser: /activation/ with the username and the code.
    family = Client()
    response = family.post(reverse("activate"), {"username": parent.username, "code": code})
    assert response.status_code == 302 and response.url == reverse("activate_password")
    password = "Tilleuls-CM1b-2026!"
    response = family.post(reverse("activate_password"), {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response.url == reverse("home")
    home = family.get(reverse("home")).content.decode()
    assert "Maëlys" in home and "CM1 B" in home
    assert reverse("pupil_detail", args=[child.id]) in home
    parent.refresh_from_db()
    assert parent.has_usable_password() and parent.check_password(password)
    # The code is spent: the letter cannot open the account a second time.
    response = Client().post(reverse("activate"), {"username": parent.username, "code": code})
    assert response.status_code == 200
