"""Every change of state in absences, one module per concern:

- registers: opening a register and saving its marks;
- records: vie scolaire's own entries and its changes to one absence;
- notices: families' absence notices, validated or rejected;
- alerts: guardians told of an unexplained absence, managers of absenteeism;
- retention: the audit log of who looked at what, the nightly purge;
- reasons: the school's reasons; common: what they share.

Each do_* runs in one transaction; the notifications it sends are rows of that
transaction (ent.notify), so a rollback tells nobody anything.

The names below are re-exported for the callers outside absences (bench hooks,
other apps' tests, dotted paths such as "absences.actions:do_purge_expired" in
ent/directory/personal_data.py); code inside absences imports the module that
holds the name."""

from absences.actions.alerts import ABSENTEEISM_THRESHOLD, check_absenteeism, do_check_absenteeism_all
from absences.actions.common import apply_reason, check_in_school_year, notice_bounds
from absences.actions.notices import (
    check_document,
    check_notice,
    do_declare_notice,
    do_reject_notice,
    do_validate_notice,
    document_max_bytes,
)
from absences.actions.reasons import do_save_reason
from absences.actions.records import MAX_RECORD_DAYS, do_record_absences, do_update_event, half_days_between
from absences.actions.registers import PRIMARY_HOURS, do_open_register, do_save_register, roster
from absences.actions.retention import do_purge_expired, purge_cutoff, record_views
from absences.models import aware, half_day_bounds
from ent.errors import AbsenceError

__all__ = [
    "ABSENTEEISM_THRESHOLD",
    "MAX_RECORD_DAYS",
    "PRIMARY_HOURS",
    "AbsenceError",
    "apply_reason",
    "aware",
    "check_absenteeism",
    "check_document",
    "check_in_school_year",
    "check_notice",
    "do_check_absenteeism_all",
    "do_declare_notice",
    "do_open_register",
    "do_purge_expired",
    "do_record_absences",
    "do_reject_notice",
    "do_save_reason",
    "do_save_register",
    "do_update_event",
    "do_validate_notice",
    "document_max_bytes",
    "half_day_bounds",
    "half_days_between",
    "notice_bounds",
    "purge_cutoff",
    "record_views",
    "roster",
]
