"""Access matrix entries for directory management (imports, letters, accounts,
rollover) and the privacy pages."""

from datetime import timedelta

from django.utils import timezone

from tests.security.matrix import LOGIN, Route, expect, only

# can_manage_school: the school's direction and vie scolaire (and secretary), and
# the territory admin. The référent numérique is staff but does not manage accounts.
MANAGERS = ["vie_scolaire", "direction", "admin"]


def _job(w):
    from ent.directory.models import ImportJob

    job, _ = ImportJob.objects.get_or_create(
        school=w.school,
        file_name="matrix.csv",
        defaults={"kind": "pupils", "status": "ready", "summary": {"created": 0}},
    )
    return job


def _export(w):
    from ent.directory.models import DataExport

    export, _ = DataExport.objects.get_or_create(
        user=w.guardian,
        defaults={"status": "ready", "key": "exports/matrix.zip", "expires_at": timezone.now() + timedelta(days=1)},
    )
    return export


MATRIX_CLOSED_DAY = 9001


def _closed_day(w):
    """A closed day of the world's school, put back before each persona's call
    under the same id (the URL is built once; a delete that succeeds removes it)."""
    from ent.directory.models import ClosedDay

    ClosedDay.objects.get_or_create(
        id=MATRIX_CLOSED_DAY,
        defaults={"school": w.school, "date": w.school.years.first().starts_on, "label": "matrice"},
    )
    return {}


def _duplicate(w):
    """A second account for guardian2's person, made fresh for each call."""
    from tests.factories import link_guardian, make_user

    dup = make_user(first_name=w.guardian2.first_name, last_name=w.guardian2.last_name)
    link_guardian(dup, w.pupil)
    return {"keep": w.guardian2.id, "duplicate": dup.id}


def _letters(w):
    from ent.directory.models import LetterBatch

    batch, _ = LetterBatch.objects.get_or_create(
        school=w.school,
        defaults={"status": "ready", "key": "letters/matrix.pdf", "expires_at": timezone.now() + timedelta(days=1)},
    )
    return batch


def _held_photo(w):
    """A photo of the world's pupil, still held by the antivirus: the matrix
    needs no object store, and a held photo answers 403 ("being checked") to
    those who may see it, 404 to everyone else. Streaming an offered one is
    tested with the real store in tests/directory/test_photos.py."""
    from ent.directory.models import PupilPhoto

    PupilPhoto.objects.get_or_create(pupil=w.pupil, defaults={"school": w.school, "key": "directory/photos/matrix.jpg"})
    return {}


school = lambda w: {"school_id": w.school.id}  # noqa: E731
# The pupil's photos: their teachers and their school's office (direction, vie scolaire).
PHOTO_OFFICE = ["vie_scolaire", "direction"]

ROUTES = {
    "manage_home": Route(only(MANAGERS + ["staff_b"])),
    "manage_school": Route(only(MANAGERS), kwargs=school),
    "import_start": Route(only(MANAGERS), kwargs=school),
    "import_detail": Route(only(MANAGERS), kwargs=lambda w: {"job_id": _job(w).id}),
    "import_status": Route(only(MANAGERS), kwargs=lambda w: {"job_id": _job(w).id}),
    "import_report": Route(only(MANAGERS), kwargs=lambda w: {"job_id": _job(w).id}),
    "import_apply": Route(
        only(MANAGERS, status=302),
        method="post",
        kwargs=lambda w: {"job_id": _job(w).id},
        note="the first manager queues the apply; the next ones are told it is not ready: 302 both",
    ),
    "login_letters": Route(only(MANAGERS), kwargs=school),
    "login_letters_download": Route(
        only(MANAGERS, status=302),
        kwargs=lambda w: {"batch_id": _letters(w).id},
        note="the school's managers only: 302 to a presigned URL",
    ),
    "accounts": Route(only(MANAGERS), kwargs=school),
    "accounts_block": Route(
        only(MANAGERS, status=302),
        method="post",
        kwargs=school,
        data=lambda w: {"action": "unblock", "users": [w.outsider_pupil.id]},
    ),
    "accounts_merge": Route(only(MANAGERS, status=302), method="post", kwargs=school, data=_duplicate),
    "pupil_leave": Route(
        only(MANAGERS, status=302),
        method="post",
        kwargs=lambda w: {"school_id": w.school.id, "pupil_id": w.other_pupil.id},
    ),
    "accounts_reset_mfa": Route(
        only(MANAGERS, status=302),
        method="post",
        kwargs=lambda w: {"school_id": w.school.id, "user_id": w.other_pupil.id},
        note="the school's office resets a person's second factors (none here: 'had no second factor')",
    ),
    "rollover": Route(only(MANAGERS), kwargs=school, note="GET: the preview; the POST is tested in tests/imports"),
    # A school's closed days: its direction and vie scolaire only (not the
    # territory admin, who has the Django admin, nor the référent).
    "closed_days": Route(only(["vie_scolaire", "direction"]), kwargs=school),
    "closed_day_delete": Route(
        only(["vie_scolaire", "direction"], status=302),
        method="post",
        kwargs=lambda w: {"school_id": w.school.id, "closed_day_id": MATRIX_CLOSED_DAY},
        data=_closed_day,
    ),
    "directory:pupil_photo": Route(
        only(["teacher", *PHOTO_OFFICE], status=403),
        kwargs=lambda w: {"pupil_id": w.pupil.id},
        data=_held_photo,
        note="never the pupil, the family, class-mates' families, other teachers or schools: 404",
    ),
    "directory:school_photos": Route(only(PHOTO_OFFICE), kwargs=school),
    "directory:pupil_photo_manage": Route(
        only(PHOTO_OFFICE), kwargs=lambda w: {"school_id": w.school.id, "pupil_id": w.pupil.id}
    ),
    "directory:child_photo": Route(
        only(["guardian", "guardian2", "guardian_nojustify"]),
        kwargs=lambda w: {"child_id": w.pupil.id, "school_id": w.school.id},
    ),
    "privacy": Route(expect(200, anonymous=200)),
    "privacy_export": Route(expect(200, anonymous=LOGIN)),
    "privacy_export_download": Route(
        only(["guardian"], status=302),
        kwargs=lambda w: {"export_id": _export(w).id},
        note="only the person who asked: 302 to a presigned URL",
    ),
}
