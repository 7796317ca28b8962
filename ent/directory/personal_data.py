"""Every model that holds data about a person, where it goes in the family's data
export, and what ends it. tests/notify/test_privacy.py walks the models (any
foreign key or many-to-many to the user model, plus EXTRA below) and fails when
one is missing here, or when what is said here is not true of the code.

`export`: the "module:function" whose module writes the model into the export,
or None with `not_exported` saying why.
`retention`:
- ACCOUNT: deleted with the person's account (a CASCADE key to the user, or a
  many-to-many), i.e. RETENTION_AFTER_LEAVING after they left;
- UNLINKED: the row is the school's record and stays, but every key to the
  person is SET_NULL: once the account is deleted nothing points to them;
- "module:function": a purge whose code deletes the model on its own schedule;
- None, with `kept` saying why it is kept (a PROTECT key keeps the account).
"""

from dataclasses import dataclass

ACCOUNT = "account"
UNLINKED = "unlinked"

DIRECTORY = "ent.directory.privacy:collect_personal_data"
OLD_RECORDS = "ent.directory.privacy:purge_old_records"
DEPARTED = "ent.directory.privacy:purge_departed_accounts"
# The purges that run on their own schedule (beat task names), besides the
# per-app RETENTION_HOOKS that purge_old_records calls.
SCHEDULED_PURGES = {
    OLD_RECORDS: "directory.purge_old_records",
    DEPARTED: "directory.purge_departed_accounts",
    "absences.actions:do_purge_expired": "absences.purge_expired",
}


@dataclass(frozen=True)
class Held:
    export: str | None
    retention: str | None
    not_exported: str = ""
    kept: str = ""


# Models with personal data but no key to the user model.
EXTRA = ["sessions.Session", "messaging.Attachment", "homework.Attachment"]

PERSONAL_DATA = {
    # Directory: the person, their roles, their sign-in.
    "directory.User": Held(DIRECTORY, DEPARTED),
    "directory.TerritoryAdmin": Held(DIRECTORY, ACCOUNT),
    "directory.Group": Held(DIRECTORY, ACCOUNT),
    "directory.Enrollment": Held(DIRECTORY, ACCOUNT),
    "directory.Guardianship": Held(DIRECTORY, ACCOUNT),
    "directory.TeachingAssignment": Held(DIRECTORY, ACCOUNT),
    "directory.StaffRole": Held(DIRECTORY, ACCOUNT),
    "directory.ActivationCode": Held(DIRECTORY, OLD_RECORDS),
    "directory.DataExport": Held(
        None, OLD_RECORDS, not_exported="the export itself: its zip is what the person downloads"
    ),
    "directory.ImportJob": Held(
        None, OLD_RECORDS, not_exported="a school's file import: the staff member is only who ran it"
    ),
    "directory.AuditEntry": Held(
        None, OLD_RECORDS, not_exported="the security log of staff actions on accounts, read by the school"
    ),
    "directory.LetterBatch": Held(
        None, OLD_RECORDS, not_exported="a school's printed login letters: the staff member is only who asked"
    ),
    # Pupil photos (issue 21): exported as "the school keeps a photo since ..."
    # (ent.directory.photos:export); deleted with the account (CASCADE) and, with
    # their stored thumbnail, by the nightly purge once the pupil left the school.
    "directory.PupilPhoto": Held("ent.directory.photos:export", ACCOUNT),
    "directory.PhotoRefusal": Held("ent.directory.photos:export", ACCOUNT),
    "sessions.Session": Held(None, OLD_RECORDS, not_exported="a signed-in browser's technical key, no content"),
    "account.EmailAddress": Held(
        None, ACCOUNT, not_exported="the same address as the person's email, which the export holds"
    ),
    "mfa.Authenticator": Held(
        None, ACCOUNT, not_exported="a second factor's secret: handing it out would weaken the account"
    ),
    "admin.LogEntry": Held(
        None, ACCOUNT, not_exported="the back-office log of the territory's administrators, not families"
    ),
    # Federated sign-in (ent/identity) and the ENT's OpenID provider.
    "socialaccount.SocialAccount": Held("ent.identity.privacy:export", ACCOUNT),
    "identity.PairwiseSubject": Held("ent.identity.privacy:export", ACCOUNT),
    "identity.OidcSignIn": Held(
        None,
        ACCOUNT,
        not_exported="which browser session an IdP sign-in opened, kept only to end it at the IdP's logout "
        "(removed at logout and after the session's lifetime)",
    ),
    "identity.PendingLink": Held(
        None,
        "ent.identity.privacy:purge",
        not_exported="an external identity the office has not linked yet: it is nobody's until linked",
    ),
    "allauth_idp_oidc.Token": Held(
        None, ACCOUNT, not_exported="a token issued to a school app: a secret, short-lived, not data about the person"
    ),
    "allauth_idp_oidc.Client": Held(
        None, ACCOUNT, not_exported="a school app registered by an administrator: the person is only its owner"
    ),
    "usersessions.UserSession": Held(
        None,
        ACCOUNT,
        not_exported="a signed-in device (address, browser, last use), shown on Mes appareils",
    ),
    # Notifications.
    "notify.Notification": Held("ent.notify.privacy:export", "ent.notify.privacy:purge"),
    "notify.NotificationSettings": Held("ent.notify.privacy:export", ACCOUNT),
    "notify.Preference": Held("ent.notify.privacy:export", ACCOUNT),
    "notify.ChildMute": Held("ent.notify.privacy:export", ACCOUNT),
    # The timetable: the school's record of its lessons; a teacher's name on them.
    "timetable.Slot": Held(
        None,
        ACCOUNT,
        not_exported="the school's weekly timetable; a teacher is named on their lessons (link gone with the account)",
    ),
    "timetable.Change": Held(
        None,
        UNLINKED,
        not_exported="a one-off change of the school's timetable (replacement teacher, who recorded it)",
    ),
    "timetable.RegisterReminder": Held(
        None,
        ACCOUNT,
        not_exported="a mark that a teacher was reminded once of a register (the reminder is a notification)",
    ),
    # The API: a person's access tokens for apps.
    "api.PersonalToken": Held(
        None,
        ACCOUNT,
        not_exported="a hash of an app's access secret (useless outside the ENT); the tokens are listed on their page",
    ),
    "notify.WebPushSubscription": Held(
        None,
        ACCOUNT,
        not_exported="a browser's push address and keys (secrets of that browser), removed with its session; "
        "the devices are shown on Mes appareils",
    ),
    # Homework diary.
    "homework.Entry": Held("homework.privacy:export", UNLINKED),
    "homework.Attachment": Held(
        None, UNLINKED, not_exported="a file of the class's diary entry, the teacher's; the entry is exported"
    ),
    "homework.Done": Held("homework.privacy:export", ACCOUNT),
    "homework.Submission": Held("homework.privacy:export", ACCOUNT),
    "homework.Revision": Held(None, UNLINKED, not_exported="earlier wording of a diary entry (its author's edits)"),
    "homework.Visa": Held(None, UNLINKED, not_exported="the head teacher's stamp on a class's diary"),
    "homework.CalendarFeed": Held("homework.privacy:export", "homework.privacy:purge"),
    "homework.Archive": Held(None, UNLINKED, not_exported="a class's end-of-year diary PDF, the school's record"),
    "homework.Reminder": Held(None, "homework.privacy:purge", not_exported="a mark that a reminder went out"),
    # Absences (their own retention per territory: absences.actions.do_purge_expired).
    "absences.Register": Held(None, "absences.actions:do_purge_expired", not_exported="the class's roll call"),
    "absences.AbsenceEvent": Held("absences.privacy:export", "absences.actions:do_purge_expired"),
    "absences.AbsenceNotice": Held("absences.privacy:export", "absences.actions:do_purge_expired"),
    "absences.UnexplainedAlert": Held(
        None,
        "absences.actions:do_purge_expired",
        not_exported="a mark that the family was alerted (the alert itself is a notification, exported)",
    ),
    "absences.AbsenteeismAlert": Held(
        None, "absences.actions:do_purge_expired", not_exported="a mark that the school was alerted"
    ),
    "absences.AuditEntry": Held("absences.privacy:export", "absences.actions:do_purge_expired"),
    # Messaging.
    "messaging.SchoolPolicy": Held(None, UNLINKED, not_exported="a school's setting: only who changed it last"),
    "messaging.Conversation": Held(
        "messaging.privacy:export",
        None,
        kept="its starter is PROTECT: the conversation is the other participants' too; the departure purge "
        "keeps such an account and reports it (kept_protected)",
    ),
    "messaging.Participant": Held("messaging.privacy:export", ACCOUNT),
    "messaging.Message": Held(
        "messaging.privacy:export",
        None,
        kept="its author is PROTECT: a message belongs to the conversation's other participants too",
    ),
    "messaging.Attachment": Held("messaging.privacy:export", None, kept="goes with its message"),
    "messaging.Report": Held("messaging.privacy:export", ACCOUNT),
    "messaging.Announcement": Held(
        None, None, not_exported="written by staff to families", kept="its author is PROTECT: the school's record"
    ),
    "messaging.AnnouncementRecipient": Held("messaging.privacy:export", ACCOUNT),
    # Resources (staff and teachers' work).
    "media.Item": Held("media.privacy:export", UNLINKED),
    "media.Version": Held("media.privacy:export", UNLINKED),
    "media.Illustration": Held(None, UNLINKED, not_exported="a resource's picture, the school's"),
    "media.Decision": Held("media.privacy:export", UNLINKED),
    "media.Assignment": Held(None, UNLINKED, not_exported="a resource given to a class"),
    "media.UploadTicket": Held(None, ACCOUNT, not_exported="a short-lived permission to upload one file"),
}
