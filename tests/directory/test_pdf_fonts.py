"""PDFs embed a Unicode font (DejaVu Sans, shipped in ent/fonts): names outside
Latin-1 print as written, in the login letters and in the diary archive."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from ent.directory.letters import Letter, render_pdf
from homework.models import Entry, Visa
from homework.pdf import write_class_diary

pytestmark = pytest.mark.django_db

NAME = ("Łukasz Ştefan", "Nguyễn Çağrı")
FULL = "Łukasz Ştefan Nguyễn Çağrı"


def fonts_of(reader):
    """Base font names of every page, and whether each is embedded (a font file)."""
    found = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            found[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def test_login_letter_prints_names_outside_latin_1(world):
    world.guardian.first_name, world.guardian.last_name = NAME
    world.guardian.save()
    out = io.BytesIO()
    letter = Letter(person=world.guardian, is_pupil=False, children=[("Ağnieszka", "6e A")], code="ABCD-EFGH")
    render_pdf([letter], out, school=world.school)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    text = reader.pages[0].extract_text()
    assert FULL in text
    assert "Ağnieszka" in text and "ABCD-EFGH" in text
    assert "■" not in text
    used = fonts_of(reader)
    assert used and all(used.values()), used  # every font embedded
    assert not any("Helvetica" in name or "Courier" in name for name in used)
    assert any("DejaVuSans" in name for name in used)


def test_diary_archive_prints_names_outside_latin_1(world):
    world.teacher.first_name, world.teacher.last_name = NAME
    world.teacher.save()
    world.klass.name = "6e Ş"
    world.klass.save()
    Entry.objects.create(
        school=world.school,
        school_class=world.klass,
        subject=world.subject,
        author=world.teacher,
        title="Lire « Nguyễn Du » — Truyện Kiều",
        instructions="<p>Résumé : ½ page, en français ou en polski (żółć)</p>",
        given_on=date(2026, 11, 2),
        due_on=date(2026, 11, 4),
    )
    visas = [Visa(school_class=world.klass, signed_by=world.teacher, comment="Vu — Ştefan")]
    out = io.BytesIO()
    entries = Entry.objects.filter(school_class=world.klass).select_related("subject", "author")
    write_class_diary(out, world.klass, entries.prefetch_related("attachments"), visas)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in (FULL, "6e Ş", "Nguyễn Du", "żółć", "Vu — Ştefan"):
        assert words in text, words
    used = fonts_of(reader)
    assert used and all(used.values()), used
    assert not any("Helvetica" in name or "Times" in name for name in used)
