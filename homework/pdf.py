"""The end-of-year archive of a class's diary, as a PDF (reportlab: pure Python,
no system binary)."""

from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from ent import fonts


def _text(html):
    """Stored rich text → reportlab's small markup: plain text, line breaks kept."""
    plain = strip_tags(html.replace("</p>", "\n").replace("<br>", "\n").replace("</li>", "\n"))
    return "<br/>".join(escape(line) for line in plain.strip().splitlines() if line.strip())


def write_class_diary(out, klass, entries, visas):
    # DejaVu Sans, embedded: pupils' and teachers' names in any Latin script.
    styles = fonts.styles()
    title = _("Homework diary — class %(name)s — %(year)s") % {"name": klass.name, "year": klass.year.name}
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=klass.school.name,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        initialFontName=fonts.REGULAR,
    )
    story = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(escape(klass.school.name), styles["Normal"]),
        Paragraph(
            escape(_("Made on %(date)s") % {"date": timezone.localdate().strftime("%d/%m/%Y")}), styles["Normal"]
        ),
        Spacer(1, 0.5 * cm),
    ]
    count = 0
    for entry in entries:
        count += 1
        head = f"{entry.given_on:%d/%m/%Y} · {entry.get_kind_display()}"
        if entry.subject:
            head += f" · {entry.subject.name}"
        story.append(Paragraph(escape(head), styles["Heading4"]))
        story.append(Paragraph(f"<b>{escape(entry.title)}</b>", styles["Normal"]))
        details = []
        if entry.due_on:
            details.append(_("Due on %(date)s") % {"date": entry.due_on.strftime("%d/%m/%Y")})
        if entry.work_type:
            details.append(str(entry.get_work_type_display()))
        if entry.minutes:
            details.append(_("%(n)s min") % {"n": entry.minutes})
        if entry.author:
            details.append(entry.author.get_full_name())
        if details:
            story.append(Paragraph(escape(" · ".join(details)), styles["Italic"]))
        if entry.instructions:
            story.append(Paragraph(_text(entry.instructions), styles["Normal"]))
        names = [a.filename for a in entry.attachments.all()]
        if names:
            story.append(Paragraph(escape(_("Attachments: %(names)s") % {"names": ", ".join(names)}), styles["Normal"]))
    if not count:
        story.append(Paragraph(escape(_("No entry this year.")), styles["Normal"]))
    if visas:
        story.append(Spacer(1, 0.5 * cm))
        story.append(Paragraph(escape(_("Visas")), styles["Heading2"]))
        for visa in visas:
            who = visa.signed_by.get_full_name() if visa.signed_by else ""
            line = f"{timezone.localtime(visa.signed_at):%d/%m/%Y %H:%M} · {who}"
            if visa.comment:
                line += f" · {visa.comment}"
            story.append(Paragraph(escape(line), styles["Normal"]))
    doc.build(story)
