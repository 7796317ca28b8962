"""The registry of notification kinds: the one list of what ENT can tell a person.

Every app calls `ent.notify.api.notify(recipients, "<code>", context={...})` with a
code declared here. Each kind has two templates under
``ent/notify/templates/notify/kinds/``: ``<code>.txt`` (first line: subject, then
the plain-text body, also used for SMS) and ``<code>.html`` (the body shown in
the feed and in HTML emails). Templates must render when optional keys are
missing, since callers send what they have.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("immediately")
    DAILY = "daily", _("daily digest")
    WEEKLY = "weekly", _("weekly digest (Friday)")
    OFF = "off", _("off")


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    # Urgent kinds ignore digest preferences and quiet hours (not the night).
    urgent: bool = False
    can_be_turned_off: bool = True
    default_frequency: str = Frequency.IMMEDIATELY
    default_email: bool = True
    default_sms: bool = False
    # The few words of a push notification (it crosses the browser vendor's
    # service): no names, no content; the label when not given.
    push_title: str | None = None
    # The notification is about one pupil: a parent may mute it for one child.
    about_child: bool = False
    # Keys the templates use; documentation for callers, all optional except "url" where noted.
    context_keys: tuple = ()

    def __str__(self):
        return str(self.label)

    @property
    def push_text(self):
        return self.push_title or self.label


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in KINDS:
        raise ValueError(f"notification kind {kind.code!r} declared twice")
    if not kind.can_be_turned_off and kind.default_frequency == Frequency.OFF:
        raise ValueError(f"{kind.code!r} cannot be turned off, so it cannot default to off")
    KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"unknown notification kind {code!r}; declare it in ent/notify/kinds.py") from None


def choices():
    return [(k.code, k.label) for k in KINDS.values()]


register(
    Kind(
        "homework.published",
        _("New homework"),
        push_title=_("New homework to do"),
        about_child=True,
        default_frequency=Frequency.DAILY,
        context_keys=("title", "subject", "due_date", "class_name", "teacher_name", "url"),
    )
)
register(
    Kind(
        "homework.due_tomorrow",
        _("Homework due tomorrow"),
        about_child=True,
        default_frequency=Frequency.IMMEDIATELY,
        default_email=False,
        context_keys=("count", "titles", "due_date", "url"),
    )
)
register(
    Kind(
        "absence.unexplained",
        _("Absence to explain"),
        push_title=_("Absence to justify"),
        urgent=True,
        can_be_turned_off=False,
        about_child=True,
        default_sms=True,
        context_keys=("date", "half_day", "class_name", "school_name", "lessons", "url"),
    )
)
register(
    Kind(
        "absence.notice_treated",
        _("Absence notice handled"),
        about_child=True,
        context_keys=("start", "end", "status", "comment", "url"),
    )
)
register(
    Kind(
        "absence.absenteeism_alert",
        _("Absenteeism alert"),
        about_child=True,
        context_keys=("half_days", "since", "school_name", "url"),
    )
)
register(
    Kind(
        "message.new",
        _("New message"),
        push_title=_("New message from the school"),
        context_keys=("sender_name", "conversation_title", "excerpt", "url"),
    )
)
register(
    Kind(
        "announcement.new",
        _("New announcement"),
        push_title=_("New announcement from the school"),
        context_keys=("title", "author_name", "school_name", "excerpt", "url", "reminder", "requires_confirmation"),
    )
)
register(
    Kind(
        "resource.approved",
        _("Resource approved"),
        context_keys=("title", "approved_by", "url"),
    )
)
register(
    Kind(
        "resource.rejected",
        _("Resource rejected"),
        context_keys=("title", "reason", "rejected_by", "url"),
    )
)
register(
    Kind(
        "resource.infected",
        _("File rejected by the virus scan"),
        can_be_turned_off=False,
        context_keys=("title", "filename", "signature", "url"),
    )
)
register(
    Kind(
        "account.activation",
        _("Account activation"),
        can_be_turned_off=False,
        context_keys=("username", "code", "expires_on", "url"),
    )
)
register(
    Kind(
        "export.ready",
        _("Export ready"),
        context_keys=("name", "expires_at", "url"),
    )
)
# The timetable (ent/timetable): a register not taken 15 minutes after the
# lesson started, once per lesson; a lesson of today or tomorrow cancelled or moved.
register(
    Kind(
        "timetable.register_reminder",
        _("Register not taken yet"),
        default_email=False,
        context_keys=("title", "starts_at", "url"),
    )
)
register(
    Kind(
        "timetable.lesson_changed",
        _("Lesson cancelled or moved"),
        about_child=True,
        context_keys=("title", "date", "what", "url"),
    )
)
