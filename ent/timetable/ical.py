"""A person's lessons as an iCalendar feed (RFC 5545): one event per lesson
of this week and the four after, with the day's changes applied.

- UID: the lesson's stable key (slot + day, or the change that made an extra
  or moved lesson), so a calendar app updates an event instead of adding a
  second one when the feed is read again;
- a cancelled lesson (cancelled, teacher absent, moved away) stays, with
  STATUS:CANCELLED and the reason in words, so the app shows it struck out
  rather than silently dropping it;
- a moved lesson appears at its new time (its own event, said "moved here");
- the room, changed or not, is the LOCATION.
Times are written in UTC: no VTIMEZONE block to get wrong, every app converts."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

# This week and the four after (a calendar app re-reads the feed every few hours).
WEEKS = 5


def feed_range(today=None):
    """From this week's Monday to the Sunday WEEKS - 1 weeks later."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return monday, monday + datetime.timedelta(days=7 * WEEKS - 1)


def uid(lesson, host) -> str:
    return f"lesson-{lesson.key}@{host}"


def build_calendar(name, found) -> bytes:
    """The feed of `found` (lessons.lessons() output) for the person called `name`."""
    host = urlsplit(settings.SITE_URL).hostname or "ent"
    cal = Calendar()
    cal.add("prodid", "-//ENT//Emploi du temps//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Timetable — %(name)s") % {"name": name})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    now = timezone.now()
    for lesson in found:
        event = Event()
        event.add("uid", uid(lesson, host))
        event.add("dtstamp", now)
        # Each change recorded on the lesson is a new version of the event.
        event.add("sequence", len(lesson.change_ids))
        event.add("dtstart", lesson.start.astimezone(datetime.UTC))
        event.add("dtend", lesson.end.astimezone(datetime.UTC))
        summary = lesson.title
        if lesson.cancelled:
            summary = _("Cancelled: %(title)s") % {"title": summary}
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        event.add("summary", summary)
        if lesson.room:
            event.add("location", _("Room %(room)s") % {"room": lesson.room})
        lines = []
        if lesson.teachers:
            lines.append(", ".join(t.get_full_name() for t in lesson.teachers))
        if lesson.notes:
            lines.append(_("Change: %(what)s") % {"what": " · ".join(str(n) for n in lesson.notes)})
        if lines:
            event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()
