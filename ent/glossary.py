"""The product's words: one list, used by pages and notifications alike.

A parent reads states as sentences ("En attente de l'école", "Absence à
expliquer"), never as the database's codes. Each term has its gettext msgid
(English, in the "glossary" context so that the same word in another catalogue
cannot override it; translated in ent/locale) and a one-line definition for
the people who write pages, notifications and help texts. The glossary of the
shared DESIGN.md lists the same words.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Term:
    label: object  # a lazy msgid: translated when shown
    definition: str

    def __str__(self):
        return str(self.label)


# A parent's absence notice (déclaration d'absence), as its author reads it.
NOTICE_PENDING = Term(
    pgettext_lazy("glossary", "Waiting for the school"),
    "The family sent the notice; the school office has not answered yet.",
)
NOTICE_ACCEPTED = Term(
    pgettext_lazy("glossary", "Accepted"), "The school office accepted the notice: the absence is explained."
)
NOTICE_REFUSED = Term(
    pgettext_lazy("glossary", "Refused"),
    "The school office refused the notice and says why (shown as “Refused: <why>”).",
)
# One absence (a half-day or a lesson missed), as a family reads it.
ABSENCE_TO_EXPLAIN = Term(
    pgettext_lazy("glossary", "Absence to explain"),
    "The pupil was absent and the school has no explanation from the family yet.",
)
ABSENCE_JUSTIFIED = Term(
    pgettext_lazy("glossary", "Justified absence"), "The reason given counts as justified (illness, family reason, …)."
)
ABSENCE_UNJUSTIFIED = Term(
    pgettext_lazy("glossary", "Unjustified absence"),
    "The school does not accept the reason given (or none was given in time).",
)
SETTLED = Term(
    pgettext_lazy("glossary", "Settled"), "The school's file for this absence is complete (proof received if needed)."
)
# The other product words (see also DESIGN.md).
DIARY = Term(pgettext_lazy("glossary", "Homework diary"), "Cahier de textes: lesson content and work to do, per class.")
WORK_TO_DO = Term(pgettext_lazy("glossary", "Work to do"), "Travail à faire: what a pupil must do for a given day.")
LESSON_CONTENT = Term(pgettext_lazy("glossary", "Lesson content"), "Contenu de séance: what was done in class.")
SCHOOL_OFFICE = Term(
    pgettext_lazy("glossary", "School office"), "Vie scolaire: the staff who handle attendance, led by the CPE."
)
REGISTER = Term(pgettext_lazy("glossary", "Register"), "Appel: the roll call a teacher takes at each lesson.")
HALF_DAY = Term(
    pgettext_lazy("glossary", "Half-day"), "Demi-journée: morning or afternoon, the unit absences are counted in."
)
REASON = Term(pgettext_lazy("glossary", "Reason"), "Motif: why the pupil was absent, chosen from the school's list.")
ABSENCE_NOTICE = Term(
    pgettext_lazy("glossary", "Absence notice"), "Billet / déclaration d'absence: a family tells the school."
)
GUARDIAN = Term(
    pgettext_lazy("glossary", "Legal guardian"), "Responsable légal: a parent or a person with parental authority."
)

TERMS = {
    name: value for name, value in globals().items() if isinstance(value, Term) and name.isupper() and name != "TERMS"
}

_EVENT_STATES = {"unexplained": ABSENCE_TO_EXPLAIN, "justified": ABSENCE_JUSTIFIED, "unjustified": ABSENCE_UNJUSTIFIED}


def absence_state(state) -> str:
    """The sentence for an absence's state code ("unexplained" → "Absence à expliquer")."""
    term = _EVENT_STATES.get(str(state))
    return str(term) if term else str(state)


def notice_state(state, reject_reason: str = "") -> str:
    """The sentence for a notice's state code; a refusal says why."""
    state = str(state)
    if state == "pending":
        return str(NOTICE_PENDING)
    if state == "validated":
        return str(NOTICE_ACCEPTED)
    if state == "rejected":
        if reject_reason:
            return _("Refused: %(why)s") % {"why": reject_reason}
        return str(NOTICE_REFUSED)
    return state
