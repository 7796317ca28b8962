"""Demo content: `prof` (Anne Leroy, maths) has posted work and lesson content
for `eleve`'s class (6e A) this week and next, one piece of work with a small PDF
attachment when the object store is reachable. Idempotent: a second run adds
nothing."""

import datetime
import io

from django.utils import timezone

from ent import files
from ent.errors import StorageUnavailable
from homework import actions
from homework.access import Target
from homework.models import Attachment, Entry

MARK = "Fractions : exercices 1 à 5 p. 42"


def _pdf_bytes():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.setTitle("Fiche d'exercices — fractions")
    page.setFont("Helvetica-Bold", 18)
    page.drawString(72, 770, "Fiche d'exercices : les fractions")
    page.setFont("Helvetica", 12)
    for i, line in enumerate(
        ["1. Simplifier 6/8, 10/15 et 12/36.", "2. Comparer 3/4 et 5/6.", "3. Calculer 1/2 + 1/3.", "4. Problème : ..."]
    ):
        page.drawString(72, 730 - 24 * i, line)
    page.save()
    return out.getvalue()


class _Upload(io.BytesIO):
    """What a form upload looks like to the actions: a named, sized file."""

    def __init__(self, data, name):
        super().__init__(data)
        self.name = name
        self.size = len(data)


def seed(ctx):
    prof = ctx.users.get("prof")
    klass = ctx.classes.get("6e A")
    if prof is None or klass is None:
        return
    if Entry.objects.filter(author=prof, title=MARK).exists():
        return
    subject = ctx.subjects.get(("college", "MATH"))
    target = Target(school_class=klass)
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())

    def day(offset):
        return monday + datetime.timedelta(days=offset)

    def fields(**kw):
        base = {
            "kind": Entry.Kind.WORK,
            "subject": subject,
            "instructions": "",
            "work_type": Entry.WorkType.EXERCISES,
            "publish_at": None,
            "minutes": None,
            "hand_in": False,
            "due_on": None,
        }
        base.update(kw)
        return base

    uploads = []
    if ctx.s3_available:
        uploads = [_Upload(_pdf_bytes(), "fiche-fractions.pdf")]
    else:
        ctx.log("homework demo: object store unreachable, the entry is made without its PDF attachment")
    work = fields(
        title=MARK,
        instructions="<p>Faire les exercices <strong>1 à 5</strong> de la fiche jointe.</p>"
        "<ul><li>Rédiger proprement</li><li>Vérifier avec la calculatrice</li></ul>",
        given_on=min(today, day(1)),
        due_on=day(3),
        minutes=30,
    )
    try:
        actions.do_create_entry(prof, target, work, uploads=uploads)
    except StorageUnavailable:
        ctx.log("homework demo: object store failed, the entry is made without its PDF attachment")
        actions.do_create_entry(prof, target, work)
    if uploads and not files.scanner_configured():
        # Our own generated PDF, not an upload: without clamd (a bare `make run`)
        # it is offered all the same, and the row says it was not scanned.
        for attachment in Attachment.objects.filter(entry__author=prof, entry__title=MARK, scan=files.ScanState.HELD):
            files.record_verdict(
                files.HOMEWORK_ATTACHMENT, attachment.pk, clean=True, signature="demo: generated, not scanned"
            )
    actions.do_create_entry(
        prof,
        target,
        fields(
            title="Apprendre la leçon sur les fractions",
            instructions="<p>Savoir refaire les exemples du cours. Petit contrôle la semaine prochaine.</p>",
            work_type=Entry.WorkType.HOMEWORK,
            given_on=min(today, day(2)),
            due_on=day(4),
            minutes=20,
        ),
    )
    actions.do_create_entry(
        prof,
        target,
        fields(
            title="Contrôle : fractions",
            instructions="<p>Réviser les exercices de la fiche et la leçon.</p>",
            work_type=Entry.WorkType.TEST,
            given_on=min(today, day(4)),
            due_on=day(9),
            minutes=45,
        ),
    )
    actions.do_create_entry(
        prof,
        target,
        fields(
            title="Exposé : un mathématicien célèbre",
            instructions='<p>Une page sur le mathématicien de votre choix. Idées : <a href="https://fr.wikipedia.org/wiki/Hypatie">Hypatie</a>.</p>',
            work_type=Entry.WorkType.OTHER,
            given_on=min(today, day(1)),
            due_on=day(11),
            minutes=60,
            hand_in=True,
        ),
    )
    actions.do_create_entry(
        prof,
        target,
        fields(
            kind=Entry.Kind.LESSON,
            title="Séance : simplifier une fraction",
            instructions="<p>Cours : fractions égales, simplification. Exemples 1 à 3.</p>",
            given_on=min(today, day(1)),
        ),
    )
