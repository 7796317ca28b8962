import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from homework.models import Entry

# The smallest file every PDF reader opens: enough for the type check by content.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_upload(name="fiche.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_entry(world, *, target=None, author=None, kind=Entry.Kind.WORK, due_in=2, **fields):
    today = timezone.localdate()
    target = target if target is not None else world.klass
    is_group = target.__class__.__name__ == "Group"
    defaults = {
        "title": "Exercices 1 à 4 p. 12",
        "work_type": Entry.WorkType.EXERCISES if kind == Entry.Kind.WORK else "",
        "given_on": today,
        "due_on": today + datetime.timedelta(days=due_in) if kind == Entry.Kind.WORK else None,
        "minutes": 20 if kind == Entry.Kind.WORK else None,
        "subject": world.subject if target.school_id == world.school.id else None,
    }
    defaults.update(fields)
    return Entry.objects.create(
        school=target.school,
        school_class=None if is_group else target,
        group=target if is_group else None,
        author=author or world.teacher,
        kind=kind,
        **defaults,
    )


@pytest.fixture
def entry(world):
    return make_entry(world)


def form_data(**overrides):
    today = timezone.localdate()
    data = {
        "kind": "work",
        "title": "Lire le chapitre 3",
        "instructions": "<p>Lire <strong>attentivement</strong>.</p>",
        "work_type": "homework",
        "given_on": today.isoformat(),
        "due_on": (today + datetime.timedelta(days=3)).isoformat(),
        "publish_at": "",
        "minutes": "30",
        "recurrence": "",
        "repeat_until": "",
    }
    data.update(overrides)
    return data


def fake_file(content, name):
    return io.BytesIO(content), name
