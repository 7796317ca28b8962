"""The homework diary's part of a person's data export and of the retention
purges (hooks called by ent.directory.privacy; see its docstring for the contract).

Export: what the diary holds about the person and each child linked to them —
their done-ticks and hand-ins (with file names, never the files' keys), their
calendar feeds (that one exists, not its secret address) and, for a teacher, the
entries they wrote. The class's entries themselves are not about the person and
other pupils' ticks or hand-ins are never read.

Purge: the diary is an official record kept with the class (not purged here);
only the evening-reminder marks and revoked calendar feeds are logs, deleted
after the directory's log retention.
"""

from homework.models import CalendarFeed, Done, Entry, Reminder, Submission


def _entry(entry) -> dict:
    return {
        "title": entry.title,
        "subject": entry.subject.name if entry.subject_id else "",
        "class_or_group": str(entry.target),
        "due_on": entry.due_on.isoformat() if entry.due_on else None,
    }


def _pupil_data(pupil) -> dict:
    done = Done.objects.filter(pupil=pupil).select_related("entry__subject", "entry__school_class", "entry__group")
    hand_ins = Submission.objects.filter(pupil=pupil).select_related(
        "entry__subject", "entry__school_class", "entry__group"
    )
    return {
        "done": [{"entry": _entry(d.entry), "at": d.at.isoformat()} for d in done.order_by("at", "id")],
        "hand_ins": [
            {
                "entry": _entry(s.entry),
                "file_name": s.filename,
                "size": s.size,
                "link": s.link,
                "submitted_at": s.submitted_at.isoformat(),
                "late": s.is_late,
            }
            for s in hand_ins.order_by("submitted_at", "id")
        ],
    }


def _feeds(owner) -> list:
    return [
        {
            "for": feed.pupil.get_full_name() or feed.pupil.username,
            "what": str(feed.get_kind_display()),
            "created_at": feed.created_at.isoformat(),
            "revoked_at": feed.revoked_at.isoformat() if feed.revoked_at else None,
        }
        for feed in CalendarFeed.objects.filter(owner=owner).select_related("pupil").order_by("created_at", "id")
    ]


def export(user, children) -> dict:
    return {
        **_pupil_data(user),
        "calendar_feeds": _feeds(user),
        "entries_written": [
            {**_entry(e), "given_on": e.given_on.isoformat(), "created_at": e.created_at.isoformat()}
            for e in Entry.objects.filter(author=user)
            .select_related("subject", "school_class", "group")
            .order_by("given_on", "id")
        ],
        "children": [
            {
                "username": child.username,
                "name": child.get_full_name(),
                **_pupil_data(child),
                "calendar_feeds": _feeds(child),
            }
            for child in children
        ],
    }


def purge(cutoff, dry_run) -> int:
    reminders = Reminder.objects.filter(sent_at__lt=cutoff)
    feeds = CalendarFeed.objects.filter(revoked_at__lt=cutoff)
    count = reminders.count() + feeds.count()
    if not dry_run:
        reminders.delete()
        feeds.delete()
    return count
