"""The expected default policy over the personas of tests.factories.World: who may
start a conversation with whom (symmetric). Everything not listed is refused."""

import itertools

STAFF_A = ["vie_scolaire", "direction", "referent"]
SCHOOL_A = [
    "pupil",
    "guardian",
    "guardian2",
    "guardian_nojustify",
    "teacher",
    "other_teacher",
    "outsider_parent",
    "outsider_pupil",
]
PERSONAS = [
    "pupil",
    "guardian",
    "guardian2",
    "guardian_nojustify",
    "teacher",
    "other_teacher",
    "vie_scolaire",
    "direction",
    "referent",
    "admin",
    "outsider_parent",
    "outsider_pupil",
    "teacher_b",
    "staff_b",
    "parent_b",
]

_PAIRS = set()
# Staff ↔ anyone of their school, and each other.
for staff in STAFF_A:
    for other in SCHOOL_A + STAFF_A:
        _PAIRS.add(frozenset((staff, other)))
# The teacher of 6e A and the Latin group ↔ its pupils and their families, colleagues.
for other in ["pupil", "guardian", "guardian2", "guardian_nojustify", "outsider_pupil", "outsider_parent"]:
    _PAIRS.add(frozenset(("teacher", other)))
_PAIRS.add(frozenset(("teacher", "other_teacher")))
# School B: guardian has a child there (sibling).
for a, b in itertools.combinations(["teacher_b", "staff_b", "parent_b"], 2):
    _PAIRS.add(frozenset((a, b)))
_PAIRS.add(frozenset(("guardian", "teacher_b")))
_PAIRS.add(frozenset(("guardian", "staff_b")))
_PAIRS = {p for p in _PAIRS if len(p) == 2}


def allowed(sender, recipient) -> bool:
    return frozenset((sender, recipient)) in _PAIRS


def all_pairs():
    return [(a, b) for a in PERSONAS for b in PERSONAS if a != b]
