"""Privacy (RGPD): a person's copy of their data, and the retention purges.

Export: JSON (complete, for machines) and HTML (readable) in one zip, built by a
task, stored in the object store and handed out through a short-lived presigned
link after checking it is the requester's own. A guardian's export holds the
data of the children linked to them, and only those.

Retention (what the privacy page promises):
- accounts of pupils who left, and of guardians with no child left in any
  school, are deleted RETENTION_AFTER_LEAVING after the departure;
- logs and audit entries (imports, audit trail, purge logs, used or expired
  activation codes, expired exports) are deleted after RETENTION_LOGS.
Each purge is idempotent (it deletes what is due; a second run finds nothing)
and writes a PurgeLog row.

Apps add their own sections and purges without touching this module: each
`EXPORT_HOOKS` entry is "module:function" called as f(user, children) -> dict,
and each `RETENTION_HOOKS` entry f(cutoff, dry_run) -> int. A hook that cannot
be found is an error (ImproperlyConfigured), never skipped: a silently missing
module once left notifications out of every export and every purge.
"""

import importlib
import json
import logging
import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from ent import pagecache, storage
from ent.directory import pagescopes
from ent.directory.letters import LETTERS_DAYS
from ent.directory.models import (
    ActivationCode,
    AuditEntry,
    DataExport,
    Enrollment,
    Group,
    Guardianship,
    ImportJob,
    LetterBatch,
    PurgeLog,
    StaffRole,
    TeachingAssignment,
    TerritoryAdmin,
    User,
)

log = logging.getLogger(__name__)

RETENTION_AFTER_LEAVING = timedelta(days=91)  # three months
RETENTION_LOGS = timedelta(days=365)  # twelve months
EXPORT_DAYS = 7
IMPORT_FILE_DAYS = 30

EXPORT_HOOKS = [
    "homework.privacy:export",
    "absences.privacy:export",
    "messaging.privacy:export",
    "media.privacy:export",
    "ent.notify.privacy:export",
    "ent.identity.privacy:export",
    # Whether the school keeps a photo of the child, and the family's refusal.
    "ent.directory.photos:export",
]
RETENTION_HOOKS = [
    "homework.privacy:purge",
    "absences.privacy:purge",
    "messaging.privacy:purge",
    "media.privacy:purge",
    "ent.notify.privacy:purge",
    "ent.identity.privacy:purge",
    # Device rows whose session is gone (a login no longer walks them: sessions.list_session).
    "ent.directory.sessions:purge_devices",
    # Pupil photos of pupils who left the school (their thumbnails in the store too).
    "ent.directory.photos:purge",
]


def _resolve(path: str):
    module_name, func_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ImproperlyConfigured(f"privacy hook {path}: module {module_name} does not exist") from exc
        raise
    hook = getattr(module, func_name, None)
    if not callable(hook):
        raise ImproperlyConfigured(f"privacy hook {path}: {module_name} has no function {func_name}")
    return hook


def _section(path: str) -> str:
    """The app's name heads its section: "homework.privacy:export" → "homework"."""
    return path.split(":")[0].removesuffix(".privacy")


# --- Readable export -------------------------------------------------------------

SECTION_TITLES = {
    "homework": gettext_lazy("Homework diary"),
    "absences": gettext_lazy("Absences"),
    "messaging": gettext_lazy("Messages"),
    "media": gettext_lazy("Resources"),
    "ent.notify": gettext_lazy("Notifications"),
    "ent.directory.photos": gettext_lazy("Photos for the school"),
}
# Column and field names the apps' sections use; an unknown key is shown as it is.
FIELD_LABELS = {
    "at": gettext_lazy("Date"),
    "announcements": gettext_lazy("Announcements"),
    "attachments": gettext_lazy("Attachments"),
    "calendar_feeds": gettext_lazy("Calendar feeds"),
    "children": gettext_lazy("Children"),
    "class": gettext_lazy("Class"),
    "class_or_group": gettext_lazy("Class or group"),
    "comment": gettext_lazy("Comment"),
    "confirmed_at": gettext_lazy("Confirmed on"),
    "conversations": gettext_lazy("Conversations"),
    "created_at": gettext_lazy("Created on"),
    "date": gettext_lazy("Date"),
    "decisions": gettext_lazy("Decisions"),
    "declared_at": gettext_lazy("Declared on"),
    "declared_by_you": gettext_lazy("Declared by you"),
    "done": gettext_lazy("Done"),
    "due_on": gettext_lazy("Due on"),
    "ends_at": gettext_lazy("Ends"),
    "entries_written": gettext_lazy("Entries written"),
    "entry": gettext_lazy("Entry"),
    "events": gettext_lazy("Absences and late arrivals"),
    "file_name": gettext_lazy("File"),
    "files_uploaded": gettext_lazy("Files uploaded"),
    "for": gettext_lazy("For"),
    "from": gettext_lazy("From"),
    "given_on": gettext_lazy("Given on"),
    "groups": gettext_lazy("Groups"),
    "half_day": gettext_lazy("Half-day"),
    "hand_ins": gettext_lazy("Work handed in"),
    "hidden": gettext_lazy("Hidden"),
    "kind": gettext_lazy("Kind"),
    "late": gettext_lazy("Late"),
    "link": gettext_lazy("Link"),
    "messages": gettext_lazy("Messages"),
    "minutes": gettext_lazy("Minutes"),
    "name": gettext_lazy("Name"),
    "notices": gettext_lazy("Absence notices"),
    "read_at": gettext_lazy("Read on"),
    "reason": gettext_lazy("Reason"),
    "record_viewed": gettext_lazy("Record viewed"),
    "reject_reason": gettext_lazy("Reason for refusal"),
    "reports": gettext_lazy("Reports"),
    "resource": gettext_lazy("Resource"),
    "resources_proposed": gettext_lazy("Resources proposed"),
    "revoked_at": gettext_lazy("Revoked on"),
    "school": gettext_lazy("School"),
    "sent_at": gettext_lazy("Sent on"),
    "settled": gettext_lazy("Settled"),
    "size": gettext_lazy("Size"),
    "started_at": gettext_lazy("Started on"),
    "starts_at": gettext_lazy("Starts"),
    "state": gettext_lazy("State"),
    "status": gettext_lazy("Status"),
    "subject": gettext_lazy("Subject"),
    "submitted_at": gettext_lazy("Submitted on"),
    "text": gettext_lazy("Text"),
    "title": gettext_lazy("Title"),
    "to": gettext_lazy("To"),
    "treated_at": gettext_lazy("Treated on"),
    "username": gettext_lazy("Username"),
    "verdict": gettext_lazy("Decision"),
    "what": gettext_lazy("What"),
    "written_by_this_person": gettext_lazy("Written by this person"),
    # ent/notify/privacy.py
    "notifications": gettext_lazy("Notifications received"),
    "deliveries": gettext_lazy("Sent by email or SMS"),
    "channel": gettext_lazy("Channel"),
    "mode": gettext_lazy("When"),
    "error": gettext_lazy("Sending error"),
    "settings": gettext_lazy("Settings"),
    "quiet_start": gettext_lazy("Quiet hours start"),
    "quiet_end": gettext_lazy("Quiet hours end"),
    "preferences": gettext_lazy("Preferences"),
    "frequency": gettext_lazy("Frequency"),
    "by_email": gettext_lazy("By email"),
    "by_sms": gettext_lazy("By SMS"),
    "muted": gettext_lazy("Muted for a child"),
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _label(key) -> str:
    return str(FIELD_LABELS.get(key, key))


def _scalar(value) -> str:
    """A value as a person reads it: dates in the active language's format (French
    in the export), booleans as yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        try:
            if _ISO_DATE.match(value):
                return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
            if _ISO_DATETIME.match(value):
                moment = datetime.fromisoformat(value)
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return formats.date_format(moment, "DATETIME_FORMAT")
        except ValueError:
            pass
    return str(value)


def readable(value) -> dict:
    """A node for the recursive template _value.html: dicts become definition
    lists, lists of dicts tables (one column per key, in first-seen order), other
    lists bullet lists, the rest text. The template escapes every value."""
    if isinstance(value, dict):
        return {"kind": "dl", "items": [(_label(k), readable(v)) for k, v in value.items()]}
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for row in value for k in row))
            return {
                "kind": "table",
                "headers": [_label(k) for k in keys],
                "rows": [[readable(row.get(k)) for k in keys] for row in value],
            }
        if not value:
            return {"kind": "text", "text": "—"}
        return {"kind": "ul", "items": [readable(v) for v in value]}
    return {"kind": "text", "text": _scalar(value)}


def readable_sections(sections: dict) -> list:
    return [(str(SECTION_TITLES.get(name, name)), readable(section)) for name, section in sections.items()]


def render_export_html(data: dict, user) -> str:
    """The readable page of the export, in the site's language (French)."""
    with override(settings.LANGUAGE_CODE):
        return render_to_string(
            "directory/privacy/export_data.html",
            {"data": data, "user": user, "sections": readable_sections(data["sections"])},
        )


# --- Export -------------------------------------------------------------------------


def do_request_data_export(user: User) -> DataExport:
    """Queue an export; a request while one is being prepared returns that one."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        pending = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
        if pending is not None:
            return pending
        export = DataExport.objects.create(user=user)
        from ent.directory import tasks

        transaction.on_commit(lambda: tasks.build_data_export.delay(export.id))
    return export


def children_of(user: User):
    """Every child linked to this person, enrolled or not: the data is held either way."""
    return User.objects.filter(guardians_links__guardian=user).order_by("first_name")


def collect_personal_data(user: User) -> dict:
    children = list(children_of(user))
    data = {
        "generated_at": timezone.now().isoformat(),
        "person": _person(user),
        "roles": _roles(user),
        "activation_codes": [
            {
                "created_at": c.created_at.isoformat(),
                "used_at": c.used_at.isoformat() if c.used_at else None,
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in ActivationCode.objects.filter(user=user).order_by("created_at")
        ],
        "children": [
            {"person": _person(child), "roles": _roles(child), "guardians": _guardians(child)} for child in children
        ],
        "sections": {},
    }
    for path in EXPORT_HOOKS:
        data["sections"][_section(path)] = _resolve(path)(user, children)
    return data


def _person(user: User) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "external_id": user.external_id,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "is_active": user.is_active,
    }


def _roles(user: User) -> dict:
    return {
        "enrolments": [
            {
                "school": e.school_class.school.name,
                "class": e.school_class.name,
                "year": e.school_class.year.name,
                "left_on": e.left_on.isoformat() if e.left_on else None,
            }
            for e in Enrollment.objects.filter(pupil=user).select_related("school_class__school", "school_class__year")
        ],
        "teaching": [
            str(t)
            for t in TeachingAssignment.objects.filter(teacher=user).select_related("school_class", "group", "subject")
        ],
        "staff": [
            {"school": s.school.name, "role": s.get_role_display()}
            for s in StaffRole.objects.filter(user=user).select_related("school")
        ],
        "groups": [
            {"school": g.school.name, "name": g.name}
            for g in Group.objects.filter(members=user).select_related("school").order_by("name")
        ],
    }


def _guardians(child: User) -> list:
    return [
        {
            "name": link.guardian.get_full_name(),
            "relationship": link.relationship,
            "legal_guardian": link.is_legal_guardian,
        }
        for link in Guardianship.objects.filter(pupil=child).select_related("guardian")
    ]


def do_build_data_export(export_id: int) -> DataExport | None:
    """Build the zip, store it, tell the person. Idempotent: only a pending export is built."""
    from ent.notify.api import notify

    export = DataExport.objects.select_related("user").filter(id=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return export
    user = export.user
    data = collect_personal_data(user)
    key = f"exports/{user.pk}/{export.pk}-{timezone.now():%Y%m%d%H%M%S}.zip"
    with tempfile.TemporaryFile() as tmp:
        html = render_export_html(data, user)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("mes-donnees.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
            archive.writestr("mes-donnees.html", html)
        size = tmp.tell()
        tmp.seek(0)
        storage.put_stream(key, tmp, size, content_type="application/zip")
    try:
        with transaction.atomic():
            now = timezone.now()
            export.key, export.size, export.status = key, size, DataExport.Status.READY
            export.ready_at, export.expires_at = now, now + timedelta(days=EXPORT_DAYS)
            export.save(update_fields=["key", "size", "status", "ready_at", "expires_at"])
            with override(settings.LANGUAGE_CODE):
                notify(
                    [user],
                    "export.ready",
                    obj=export,
                    context={
                        "title": _("Your data"),
                        "name": _("Your data"),
                        "expires_at": export.expires_at,
                        "url": reverse("privacy_export"),
                    },
                )
    except Exception:
        storage.delete(key)
        raise
    return export


# --- Retention ------------------------------------------------------------------------


def departed_accounts(now=None):
    """(pupil ids, guardian ids) whose departure is older than the retention period.

    A pupil has left when no enrolment is current; their departure date is the
    latest `left_on` (or the end of a closed year). A guardian goes with the last
    of their children, unless they still have another role."""
    now = now or timezone.now()
    cutoff = (now - RETENTION_AFTER_LEAVING).date()
    current = Enrollment.objects.current().values("pupil_id")
    # Per enrolment: its left_on, or the end of its (no longer current) year.
    last_day: dict[int, object] = {}
    for pupil_id, left_on, year_end in Enrollment.objects.exclude(pupil_id__in=current).values_list(
        "pupil_id", "left_on", "school_class__year__ends_on"
    ):
        day = left_on or year_end
        if pupil_id not in last_day or day > last_day[pupil_id]:
            last_day[pupil_id] = day
    pupils = {pupil_id for pupil_id, day in last_day.items() if day <= cutoff}
    protected = (
        set(StaffRole.objects.values_list("user_id", flat=True))
        | set(TerritoryAdmin.objects.values_list("user_id", flat=True))
        | set(TeachingAssignment.objects.values_list("teacher_id", flat=True))
        | set(User.objects.filter(Q(is_superuser=True) | Q(is_staff=True)).values_list("id", flat=True))
    )
    pupils -= protected
    guardians = set()
    links = Guardianship.objects.filter(
        guardian_id__in=Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id")
    )
    by_guardian: dict[int, set] = {}
    for guardian_id, pupil_id in links.values_list("guardian_id", "pupil_id"):
        by_guardian.setdefault(guardian_id, set()).add(pupil_id)
    for guardian_id, children in by_guardian.items():
        if children <= pupils and guardian_id not in protected:
            guardians.add(guardian_id)
    # A guardian who is also a pupil somewhere (a young parent) keeps the account.
    guardians -= set(Enrollment.objects.filter(pupil_id__in=guardians).values_list("pupil_id", flat=True))
    return pupils, guardians


def purge_departed_accounts(now=None, *, dry_run=False) -> PurgeLog:
    pupils, guardians = departed_accounts(now)
    ids = sorted(pupils | guardians)
    kept = []
    if not dry_run and ids:
        try:
            with transaction.atomic():
                User.objects.filter(id__in=ids).delete()
        except (ProtectedError, RestrictedError):
            # Another app protects some rows (an author of kept content): delete
            # the others and report those kept, rather than purge nothing.
            for user_id in ids:
                try:
                    with transaction.atomic():
                        User.objects.filter(id=user_id).delete()
                except (ProtectedError, RestrictedError):
                    kept.append(user_id)
        # People and their links went (a bulk delete): every page showing them.
        pagecache.bump_after_commit(pagescopes.bump_directory)
    entry = PurgeLog.objects.create(
        kind="departed_accounts",
        dry_run=dry_run,
        count=len(ids) - len(kept),
        details={"pupils": len(pupils), "guardians": len(guardians), "kept_protected": kept},
    )
    log.info(
        "purge departed accounts%s: %s pupils, %s guardians",
        " (dry run)" if dry_run else "",
        len(pupils),
        len(guardians),
    )
    return entry


def purge_old_records(now=None, *, dry_run=False) -> PurgeLog:
    """Logs and audit entries past RETENTION_LOGS; import files after
    IMPORT_FILE_DAYS; expired exports (their zip first)."""
    now = now or timezone.now()
    cutoff = now - RETENTION_LOGS
    details = {}
    querysets = {
        "audit_entries": AuditEntry.objects.filter(at__lt=cutoff),
        "imports": ImportJob.objects.filter(created_at__lt=cutoff),
        "purge_logs": PurgeLog.objects.filter(ran_at__lt=cutoff),
        "activation_codes": ActivationCode.objects.filter(created_at__lt=cutoff).filter(
            Q(used_at__isnull=False) | Q(revoked_at__isnull=False) | Q(expires_at__lt=now)
        ),
        "sessions": Session.objects.filter(expire_date__lt=now),
    }
    old_files = ImportJob.objects.filter(created_at__lt=now - timedelta(days=IMPORT_FILE_DAYS)).exclude(file_key="")
    expired = DataExport.objects.filter(Q(expires_at__lt=now) | Q(requested_at__lt=now - timedelta(days=EXPORT_DAYS)))
    expired = expired.exclude(status=DataExport.Status.EXPIRED)
    # A school's letters PDF holds clear activation codes: gone once printed.
    old_letters = LetterBatch.objects.filter(
        Q(expires_at__lt=now) | Q(requested_at__lt=now - timedelta(days=LETTERS_DAYS))
    ).exclude(status=LetterBatch.Status.EXPIRED)
    details["import_files"] = old_files.count()
    details["exports"] = expired.count()
    details["letters"] = old_letters.count()
    for name, qs in querysets.items():
        details[name] = qs.count()
    if not dry_run:
        for job in old_files.only("id", "file_key"):
            storage.delete(job.file_key)
            ImportJob.objects.filter(id=job.id).update(file_key="")
        for export in expired.only("id", "key"):
            if export.key:
                storage.delete(export.key)
            DataExport.objects.filter(id=export.id).update(status=DataExport.Status.EXPIRED, key="")
        DataExport.objects.filter(status=DataExport.Status.EXPIRED, requested_at__lt=cutoff).delete()
        for batch in old_letters.only("id", "key"):
            if batch.key:
                storage.delete(batch.key)
            LetterBatch.objects.filter(id=batch.id).update(status=LetterBatch.Status.EXPIRED, key="")
        LetterBatch.objects.filter(requested_at__lt=cutoff).delete()
        with transaction.atomic():
            for qs in querysets.values():
                qs.delete()
    for path in RETENTION_HOOKS:
        details[_section(path)] = _resolve(path)(cutoff, dry_run)
    total = sum(v for v in details.values() if isinstance(v, int))
    entry = PurgeLog.objects.create(kind="old_records", dry_run=dry_run, count=total, details=details)
    log.info("purge old records%s: %s", " (dry run)" if dry_run else "", details)
    return entry
