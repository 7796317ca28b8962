"""Login letters: one printed page per pupil and one per guardian (a family's
page lists their children), with the ENT address, the username, a fresh
activation code and a QR code to the activation page.

Printing a letter issues a new code and revokes the previous ones, so only the
last letter handed out works. The codes and the PDF are made in one transaction:
if the PDF cannot be built, no code changes.
"""

import logging
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ent import fonts, storage
from ent.directory.actions import do_issue_activation_code
from ent.directory.models import AuditEntry, Enrollment, Guardianship, LetterBatch, School, SchoolClass, User
from ent.errors import StorageUnavailable

log = logging.getLogger(__name__)

# A school's PDF holds every clear code: kept only long enough to print it.
LETTERS_DAYS = 7


@dataclass
class Letter:
    person: User
    is_pupil: bool
    children: list = field(default_factory=list)  # [(first name, class name)]
    class_name: str = ""
    code: str = ""


def activation_url() -> str:
    return settings.SITE_URL + reverse("activate")


def plan_letters(school: School, *, klass: SchoolClass | None = None, only_new: bool = True) -> list[Letter]:
    """Pupils in class order, each followed by the guardians not printed yet."""
    enrollments = (
        Enrollment.objects.current()
        .filter(school_class__school=school, pupil__is_active=True)
        .select_related("pupil", "school_class")
        .order_by("school_class__name", "pupil__last_name", "pupil__first_name")
    )
    if klass is not None:
        enrollments = enrollments.filter(school_class=klass)
    enrollments = list(enrollments)
    pupil_ids = [e.pupil_id for e in enrollments]
    guardians_of: dict[int, list[User]] = {}
    for link in (
        Guardianship.objects.filter(pupil_id__in=pupil_ids, guardian__is_active=True)
        .select_related("guardian")
        .order_by("guardian__last_name", "guardian__first_name")
    ):
        guardians_of.setdefault(link.pupil_id, []).append(link.guardian)

    letters: list[Letter] = []
    family: dict[int, Letter] = {}
    for e in enrollments:
        if not only_new or not e.pupil.has_usable_password():
            letters.append(Letter(person=e.pupil, is_pupil=True, class_name=e.school_class.name))
        for guardian in guardians_of.get(e.pupil_id, []):
            if guardian.pk in family:
                family[guardian.pk].children.append((e.pupil.first_name, e.school_class.name))
                continue
            letter = Letter(person=guardian, is_pupil=False, children=[(e.pupil.first_name, e.school_class.name)])
            family[guardian.pk] = letter
            if not only_new or not guardian.has_usable_password():
                letters.append(letter)
    return letters


def do_print_letters(
    school: School, out, *, by: User | None, klass: SchoolClass | None = None, only_new: bool = True
) -> list[Letter]:
    """Issue a code for each letter and write the PDF into `out` (a binary file)."""
    letters = plan_letters(school, klass=klass, only_new=only_new)
    with transaction.atomic():
        for letter in letters:
            letter.code = do_issue_activation_code(letter.person, by=by)
        render_pdf(letters, out, school=school)
        AuditEntry.objects.create(
            actor=by,
            school=school,
            action="letters.print",
            details={"class": klass.name if klass else "", "count": len(letters)},
        )
    return letters


# --- A whole school's letters, built by a task ---------------------------------------


def do_request_school_letters(school: School, *, by: User, only_new: bool = True) -> LetterBatch:
    """Queue the letters of the whole school. While one is being prepared, asking
    again returns it rather than printing (and re-issuing every code) twice."""
    with transaction.atomic():
        School.objects.select_for_update().filter(pk=school.pk).first()
        pending = LetterBatch.objects.filter(school=school, status=LetterBatch.Status.PENDING).first()
        if pending is not None:
            return pending
        batch = LetterBatch.objects.create(school=school, requested_by=by, only_new=only_new)
        from ent.directory import tasks

        transaction.on_commit(lambda: tasks.build_letters.delay(batch.id))
    return batch


def do_build_letter_batch(batch_id: int) -> LetterBatch | None:
    """Issue the codes, write the PDF to the object store and tell the person who
    asked. Codes and the stored file go together: if the store write fails, no
    code changes (the transaction rolls back) and the batch is marked failed; if
    the database fails after the write, the file is deleted. Idempotent: only a
    pending batch is built."""
    batch = LetterBatch.objects.select_related("school", "school_class", "requested_by").filter(id=batch_id).first()
    if batch is None or batch.status != LetterBatch.Status.PENDING:
        return batch
    school = batch.school
    key = f"letters/{school.id}/{batch.id}-{uuid.uuid4().hex}.pdf"
    stored = False
    try:
        with tempfile.TemporaryFile() as tmp, transaction.atomic():
            # Two workers given the same id: the second waits here, then finds it built.
            locked = LetterBatch.objects.select_for_update().get(id=batch.id)
            if locked.status != LetterBatch.Status.PENDING:
                return locked
            done = do_print_letters(
                school, tmp, by=batch.requested_by, klass=batch.school_class, only_new=batch.only_new
            )
            size = tmp.tell()
            tmp.seek(0)
            storage.put_stream(key, tmp, size, content_type="application/pdf")
            stored = True
            now = timezone.now()
            batch.status, batch.key, batch.size, batch.count = LetterBatch.Status.READY, key, size, len(done)
            batch.ready_at, batch.expires_at = now, now + timedelta(days=LETTERS_DAYS)
            batch.save(update_fields=["status", "key", "size", "count", "ready_at", "expires_at"])
            if batch.requested_by_id:
                _notify_ready(batch)
    except StorageUnavailable:
        log.warning("letters %s: the object store is unavailable", batch.id)
        LetterBatch.objects.filter(id=batch.id, status=LetterBatch.Status.PENDING).update(
            status=LetterBatch.Status.FAILED
        )
        return LetterBatch.objects.get(id=batch.id)
    except Exception:
        if stored:
            storage.delete(key)
        LetterBatch.objects.filter(id=batch.id, status=LetterBatch.Status.PENDING).update(
            status=LetterBatch.Status.FAILED
        )
        raise
    return batch


def _notify_ready(batch: LetterBatch) -> None:
    from ent.notify.api import notify

    with override(settings.LANGUAGE_CODE):
        notify(
            [batch.requested_by],
            "export.ready",
            obj=batch,
            context={
                "title": _("Login letters"),
                "name": _("Login letters") + f" — {batch.school.name}",
                "expires_at": batch.expires_at,
                "url": reverse("login_letters", args=[batch.school_id]),
            },
        )


def render_pdf(letters: list[Letter], out, *, school: School) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    fonts.register()  # names in every language: Helvetica knows only Latin-1
    url = activation_url()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=fonts.REGULAR)
    pdf.setTitle(_("Login letters") + f" — {school.name}")
    pdf.setAuthor("ENT")
    width, height = A4
    with override("fr"):
        for letter in letters:
            _page(pdf, letter, school, url, width, height, mm)
            pdf.showPage()
        if not letters:
            pdf.setFont(fonts.REGULAR, 12)
            pdf.drawString(20 * mm, height - 30 * mm, _("No letter to print."))
            pdf.showPage()
    pdf.save()


def _page(pdf, letter: Letter, school: School, url: str, width, height, mm):
    left, y = 20 * mm, height - 25 * mm
    pdf.setFont(fonts.BOLD, 11)
    pdf.drawString(left, y, school.name)
    pdf.setFont(fonts.REGULAR, 10)
    pdf.drawRightString(width - left, y, formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT"))
    y -= 18 * mm
    pdf.setFont(fonts.BOLD, 16)
    pdf.drawString(left, y, _("Your ENT account"))
    y -= 10 * mm
    pdf.setFont(fonts.REGULAR, 12)
    name = letter.person.get_full_name() or letter.person.username
    if letter.is_pupil:
        pdf.drawString(left, y, _("For %(name)s, class %(class)s") % {"name": name, "class": letter.class_name})
    else:
        children = ", ".join(f"{first} ({klass})" for first, klass in letter.children)
        pdf.drawString(left, y, _("For %(name)s, parent of %(children)s") % {"name": name, "children": children})
    y -= 12 * mm
    pdf.setFont(fonts.REGULAR, 11)
    intro = _(
        "The ENT is the school's online space: homework, absences, messages with the teachers and the school office."
    )
    for line in _wrap(intro, 90):
        pdf.drawString(left, y, line)
        y -= 6 * mm
    y -= 6 * mm
    rows = [
        (_("ENT address:"), settings.SITE_URL + "/"),
        (_("Username:"), letter.person.username),
        (_("Activation code:"), letter.code),
    ]
    for label, value in rows:
        pdf.setFont(fonts.REGULAR, 12)
        pdf.drawString(left, y, label)
        pdf.setFont(fonts.MONO_BOLD if value == letter.code else fonts.BOLD, 14)
        pdf.drawString(left + 45 * mm, y, value)
        y -= 10 * mm
    y -= 4 * mm
    pdf.setFont(fonts.BOLD, 12)
    pdf.drawString(left, y, _("First visit"))
    y -= 7 * mm
    pdf.setFont(fonts.REGULAR, 11)
    steps = [
        _("1. Scan the QR code, or go to %(url)s") % {"url": url},
        _("2. Type your username and the activation code above."),
        _("3. Choose your password. The code then stops working."),
    ]
    for step in steps:
        for line in _wrap(step, 90):
            pdf.drawString(left, y, line)
            y -= 6 * mm
    _qr(pdf, url, width - left - 40 * mm, 40 * mm, 40 * mm)
    pdf.setFont(fonts.REGULAR, 9)
    pdf.drawString(
        left,
        25 * mm,
        _("Keep this letter private. If you lose it, ask the school for a new one: the old code will stop working."),
    )


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


def _qr(pdf, data: str, x, y, size):
    """Draw the QR code as vector squares: crisp when printed, no image library."""
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)
