"""Changes of state in the directory. Views call these; nothing else writes."""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ent.directory import signin
from ent.directory.models import ActivationCode, AuditEntry, ClosedDay, SchoolYear, User, hash_activation_code
from ent.directory.sessions import Reason, end_sessions
from ent.errors import CalendarError, InvalidActivationCode


def do_issue_activation_code(user: User, *, by: User | None = None, reset_password=False) -> str:
    """Issue a new one-time code for `user` and revoke the previous ones.

    Returns the clear code, which is never stored: it is shown once or printed on
    a login letter. With reset_password, the current password stops working too
    (a staff member resetting a pupil's access)."""
    code = ActivationCode.generate_code()
    now = timezone.now()
    with transaction.atomic():
        ActivationCode.objects.filter(user=user).usable().update(revoked_at=now)
        ActivationCode.objects.create(
            user=user,
            code_hash=hash_activation_code(code),
            expires_at=ActivationCode.default_expiry(),
            created_by=by,
        )
        if reset_password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            end_sessions(user, reason=Reason.PASSWORD_RESET)
        # The office gave a new way in: a lockout from wrong passwords ends now.
        transaction.on_commit(lambda: signin.clear_account(user))
    return code


def do_reset_second_factors(user: User, *, by: User, school) -> int:
    """The school office resets a person's second factors (lost phone, lost
    passkey; many parents have no email to recover by): every authenticator
    app, passkey and recovery code goes, the person signs in with their
    password alone (staff are asked to set one up again), and it is audited."""
    from allauth.mfa.models import Authenticator

    with transaction.atomic():
        count, _ = Authenticator.objects.filter(user=user).delete()
        AuditEntry.objects.create(
            actor=by, school=school, action="mfa.reset", target=user, details={"authenticators": count}
        )
        transaction.on_commit(lambda: signin.clear_account(user))
    return count


def check_activation_code(username: str, code: str) -> ActivationCode:
    """The usable code matching username + code, or InvalidActivationCode."""
    user = User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None or not code:
        raise InvalidActivationCode()
    for candidate in ActivationCode.objects.filter(user=user).usable():
        if candidate.matches(code):
            return candidate
    raise InvalidActivationCode()


def do_activate_account(code_id: int, password: str) -> User:
    """Set the password chosen on first visit and burn the code (single use, even
    when two tabs submit at once: the row is locked)."""
    with transaction.atomic():
        code = ActivationCode.objects.select_for_update().select_related("user").filter(id=code_id).first()
        if code is None or not code.is_usable:
            raise InvalidActivationCode()
        user = code.user
        user.set_password(password)
        user.save(update_fields=["password"])
        # A new password: sessions made with the old one end (the new one starts after).
        end_sessions(user, reason=Reason.PASSWORD_CHANGED)
        now = timezone.now()
        code.used_at = now
        code.save(update_fields=["used_at"])
        ActivationCode.objects.filter(user=user).usable().update(revoked_at=now)
    return user


# --- A school's closed days (issue 22) -----------------------------------------------


def check_closed_day(school, first, last):
    """The dates of a closed day: in order, and inside the school's current
    year (a day outside it would warn nobody and is most likely a typo)."""
    last = last or first
    if last < first:
        raise CalendarError(_("The last day is before the first day: check the dates."))
    year = SchoolYear.objects.filter(school=school, is_current=True).first()
    if year is None:
        raise CalendarError(_("This school has no current school year yet: closed days can be added once it has one."))
    if first < year.starts_on or last > year.ends_on:
        raise CalendarError(
            _("These dates are outside the school year %(name)s (from %(start)s to %(end)s).")
            % {"name": year.name, "start": date_format(year.starts_on), "end": date_format(year.ends_on)}
        )


def do_add_closed_day(school, *, first, last=None, label) -> ClosedDay:
    check_closed_day(school, first, last)
    # A one-day closure is stored without an end: "end_date optional".
    end = last if last and last != first else None
    with transaction.atomic():
        closed = ClosedDay.objects.create(school=school, date=first, end_date=end, label=label.strip())
        _closed_days_changed(school.pk)
        return closed


def do_delete_closed_day(closed_day: ClosedDay) -> None:
    with transaction.atomic():
        school_id = closed_day.school_id
        closed_day.delete()
        _closed_days_changed(school_id)


def _closed_days_changed(school_id) -> None:
    """A closed day takes the school's lessons off the days it covers: the
    timetable's pages and the homes' days kept under the school's version are
    redrawn (they would show the lessons until their cache ran out)."""
    from ent import pagecache
    from ent.timetable import pagescopes as timetable_pagescopes

    pagecache.bump_after_commit(timetable_pagescopes.bump_school, school_id)
