"""A pupil's work to do as an iCalendar feed (RFC 5545): one all-day event per
piece of work, on its due date."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from icalendar import Calendar, Event


def build_calendar(pupil, entries) -> bytes:
    host = urlsplit(settings.SITE_URL).hostname or "ent"
    cal = Calendar()
    cal.add("prodid", "-//ENT//Cahier de textes//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Homework — %(name)s") % {"name": pupil.first_name})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    now = timezone.now()
    for entry in entries:
        event = Event()
        event.add("uid", f"homework-{entry.id}@{host}")
        event.add("dtstamp", now)
        event.add("last-modified", entry.updated_at)
        event.add("dtstart", entry.due_on)
        event.add("dtend", entry.due_on + datetime.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        subject = f"{entry.subject.name} : " if entry.subject else ""
        event.add("summary", f"{subject}{entry.title}")
        url = settings.SITE_URL + reverse("homework:entry_detail", args=[entry.id])
        lines = [strip_tags(entry.instructions).strip()]
        if entry.minutes:
            lines.append(_("Estimated time: %(n)s min") % {"n": entry.minutes})
        lines.append(url)
        event.add("description", "\n\n".join(line for line in lines if line))
        event.add("url", url)
        if entry.work_type:
            event.add("categories", [str(entry.get_work_type_display())])
        cal.add_component(event)
    return cal.to_ical()
