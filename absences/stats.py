"""Totals of absences, counted the way schools count them: in half-days.

A half-day with several absence events (several lessons) counts once: justified
if all its absences are justified, unjustified if any is unjustified, otherwise
unexplained. Lateness counts apart, in number and minutes.
"""

from collections import defaultdict
from dataclasses import dataclass

from absences.models import AbsenceEvent

J = AbsenceEvent.State.JUSTIFIED
U = AbsenceEvent.State.UNJUSTIFIED


@dataclass
class Totals:
    half_days: int = 0
    justified: int = 0
    unjustified: int = 0
    unexplained: int = 0
    late: int = 0
    late_minutes: int = 0
    left_early: int = 0


def _totals(items):
    """items: (kind, date, half_day, state, minutes) tuples."""
    halves = defaultdict(list)
    t = Totals()
    for kind, day, half, state, minutes in items:
        if kind == AbsenceEvent.Kind.ABSENCE:
            halves[(day, half)].append(state)
        elif kind == AbsenceEvent.Kind.LATE:
            t.late += 1
            t.late_minutes += minutes or 0
        else:
            t.left_early += 1
    for states in halves.values():
        t.half_days += 1
        if all(s == J for s in states):
            t.justified += 1
        elif any(s == U for s in states):
            t.unjustified += 1
        else:
            t.unexplained += 1
    return t


def pupil_totals(events) -> Totals:
    return _totals((e.kind, e.date, e.half_day, e.state, e.minutes) for e in events)


def totals_by_pupil(rows) -> dict:
    """rows: (pupil_id, kind, date, half_day, state, minutes)."""
    grouped = defaultdict(list)
    for pupil_id, *rest in rows:
        grouped[pupil_id].append(rest)
    return {pid: _totals(items) for pid, items in grouped.items()}
