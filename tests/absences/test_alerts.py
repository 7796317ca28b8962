"""Alerts: guardians the same day (once per pupil and half-day, not when a notice
covers it), vie scolaire and direction from 4 unjustified half-days in a month."""

import datetime as dt

import pytest
import time_machine

from absences import actions
from absences.access import current_enrollment
from absences.models import AbsenceEvent, AbsenteeismAlert
from ent.notify.models import Notification
from tests.absences.conftest import PARIS, declare

pytestmark = pytest.mark.django_db


def _mark_absent(world, register, pupil=None, finish=True):
    pupil = pupil or world.pupil
    actions.do_save_register(world.teacher, register, {pupil.id: ("absence", None)}, finish=finish)


def _alerts(kind="absence.unexplained"):
    return Notification.objects.filter(kind=kind)


def test_same_day_alert_goes_once_per_half_day(world, reasons, monday, open_register):
    first = open_register(8)
    _mark_absent(world, first, finish=False)
    sent = _alerts()
    # The legal guardians; not the step-parent who is neither legal guardian nor allowed to justify.
    assert {n.recipient for n in sent} == {world.guardian, world.guardian2}
    assert {n.child for n in sent} == {world.pupil}
    # The half-day as a code: the reader's language is chosen when it is read.
    assert sent.first().context["half_day"] == "am"
    # Saving again, finishing, and another lesson the same morning: nothing more.
    _mark_absent(world, first, finish=True)
    _mark_absent(world, open_register(10))
    assert _alerts().count() == 2
    # The afternoon is another half-day.
    _mark_absent(world, open_register(14))
    assert _alerts().count() == 4


def test_late_is_not_alerted(world, monday, open_register):
    actions.do_save_register(world.teacher, open_register(), {world.pupil.id: ("late", 5)}, finish=True)
    assert not _alerts().exists()


def test_no_alert_when_a_notice_covers_it(world, reasons, monday, open_register):
    # Pending is enough: the family already told the school.
    declare(world, reasons["illness"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))
    _mark_absent(world, open_register())
    assert not _alerts().exists()
    assert AbsenceEvent.objects.get().state == "unexplained"  # until vie scolaire validates


def test_a_rejected_notice_does_not_cover(world, reasons, monday, open_register):
    notice = declare(world, reasons["illness"], dt.date(2026, 10, 5), dt.date(2026, 10, 5))
    actions.do_reject_notice(world.vie_scolaire, notice, reason_text="Non")
    _mark_absent(world, open_register())
    assert _alerts().count() == 2


def test_no_same_day_alert_for_a_past_register(world, monday, open_register):
    register = open_register(day=dt.date(2026, 10, 2), by=world.vie_scolaire, manager=True)
    actions.do_save_register(world.vie_scolaire, register, {world.pupil.id: ("absence", None)}, finish=True)
    assert AbsenceEvent.objects.count() == 1
    assert not _alerts().exists()


def _unjustified(world, reasons, day, half):
    return actions.do_record_absences(
        world.vie_scolaire,
        world.school,
        pupils=[world.pupil],
        start_date=day,
        start_half=half,
        end_date=day,
        end_half=half,
        kind="absence",
        reason=reasons["convenience"],
        year=current_enrollment(world.pupil.id).school_class.year,
    )


def test_absenteeism_threshold_counts_per_calendar_month(world, reasons):
    with time_machine.travel(dt.datetime(2027, 2, 2, 17, 0, tzinfo=PARIS), tick=False):
        # Two half-days on 29 January, two on 1 February: 4 in a row, but 2 + 2 by month.
        _unjustified(world, reasons, dt.date(2027, 1, 29), "am")
        _unjustified(world, reasons, dt.date(2027, 1, 29), "pm")
        _unjustified(world, reasons, dt.date(2027, 2, 1), "am")
        _unjustified(world, reasons, dt.date(2027, 2, 1), "pm")
        assert not _alerts("absence.absenteeism_alert").exists()
        # Two lessons in one half-day count once.
        _unjustified(world, reasons, dt.date(2027, 2, 2), "am")
        assert not _alerts("absence.absenteeism_alert").exists()
        _unjustified(world, reasons, dt.date(2027, 2, 2), "pm")
        sent = _alerts("absence.absenteeism_alert")
        assert {n.recipient for n in sent} == {world.vie_scolaire, world.direction}
        context = sent.first().context
        assert context["half_days"] == 4
        assert [d["date"]["$date"] for d in context["half_day_list"]] == [
            "2027-02-01",
            "2027-02-01",
            "2027-02-02",
            "2027-02-02",
        ]
        alert = AbsenteeismAlert.objects.get()
        assert alert.month == dt.date(2027, 2, 1) and alert.pupil == world.pupil
        # A fifth half-day the same month: no second alert; the daily task agrees.
        _unjustified(world, reasons, dt.date(2027, 2, 3), "am")
        assert actions.do_check_absenteeism_all() == []
        assert _alerts("absence.absenteeism_alert").count() == 2


def test_absenteeism_from_vie_scolaire_decisions(world, reasons, login_as, client):
    """Unexplained absences turned unjustified one by one by vie scolaire."""
    from django.urls import reverse

    with time_machine.travel(dt.datetime(2026, 11, 13, 17, 0, tzinfo=PARIS), tick=False):
        rows = actions.do_record_absences(
            world.vie_scolaire,
            world.school,
            pupils=[world.pupil],
            start_date=dt.date(2026, 11, 9),
            start_half="am",
            end_date=dt.date(2026, 11, 10),
            end_half="pm",
            kind="absence",
            year=current_enrollment(world.pupil.id).school_class.year,
        )
        assert len(rows) == 4 and not _alerts("absence.absenteeism_alert").exists()
        login_as(world.vie_scolaire)
        for event in rows:
            url = reverse("absences:event_update", args=[event.id])
            assert client.post(url, {"state": "unjustified", "comment": ""}).status_code == 302
        assert _alerts("absence.absenteeism_alert").count() == 2


def test_daily_task_catches_up(world, reasons):
    from absences.tasks import check_absenteeism

    with time_machine.travel(dt.datetime(2026, 11, 13, 17, 0, tzinfo=PARIS), tick=False):
        rows = actions.do_record_absences(
            world.vie_scolaire,
            world.school,
            pupils=[world.pupil],
            start_date=dt.date(2026, 11, 9),
            start_half="am",
            end_date=dt.date(2026, 11, 10),
            end_half="pm",
            kind="absence",
            year=current_enrollment(world.pupil.id).school_class.year,
        )
        # Written behind the actions' back (an import, say): the daily task finds it.
        AbsenceEvent.objects.filter(id__in=[r.id for r in rows]).update(state="unjustified")
        assert check_absenteeism.delay().get() == 1
        assert check_absenteeism.delay().get() == 0
