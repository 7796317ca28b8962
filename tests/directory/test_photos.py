"""Pupil photos (the trombinoscope, issue 21): uploads by the school office one
by one and in a zip, through the file gate and the real antivirus and object
store; shown only to the pupil's teachers and school office; the family's
refusal; the register's rows; the purge when a pupil leaves."""

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from PIL import Image

from ent.directory import photos
from ent.directory.models import AuditEntry, Enrollment, PhotoRefusal, PupilPhoto
from ent.files import ScanState
from tests.absences.conftest import add_pupils
from tests.clamd import EICAR
from tests.security import hostile_files as hf


def jpeg(size=(1200, 900), *, exif=True, color=(200, 120, 90), extra=b"") -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0110] = "Phone 12"  # Model
        gps = data.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (48.0, 51.0, 24.0)
        kwargs["exif"] = data.tobytes()
    image.save(out, "JPEG", **kwargs)
    return out.getvalue() + extra


def png(size=(300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def upload(data, name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def make_zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def manage_url(world, pupil=None):
    return reverse("directory:pupil_photo_manage", args=[world.school.id, (pupil or world.pupil).id])


def photo_url(pupil):
    return reverse("directory:pupil_photo", args=[pupil.id])


@pytest.fixture
def office(world, client, login_as):
    login_as(world.vie_scolaire)
    return client


def post_photo(client, world, data, name="photo.jpg", pupil=None):
    return client.post(manage_url(world, pupil), {"upload": "1", "photo": upload(data, name)})


# --- The thumbnail -----------------------------------------------------------------------


def test_the_thumbnail_is_small_square_jpeg_without_the_photos_exif():
    original = Image.open(io.BytesIO(jpeg()))
    assert original.getexif().get(0x010F) == "PhoneMaker"  # the test photo does carry EXIF
    data = photos.thumbnail(upload(jpeg()))
    small = Image.open(io.BytesIO(data))
    assert small.format == "JPEG" and small.size == (photos.THUMBNAIL_PX, photos.THUMBNAIL_PX)
    assert not small.getexif()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    assert len(data) < 20_000


def test_a_png_photo_becomes_a_jpeg_thumbnail():
    small = Image.open(io.BytesIO(photos.thumbnail(upload(png(), "x.png"))))
    assert small.format == "JPEG" and small.size == (160, 160)


# --- Upload by the office, one by one ---------------------------------------------------


def test_the_office_uploads_a_photo_held_then_offered_and_only_a_thumbnail_is_stored(
    world, s3, office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_photo(office, world, jpeg(extra=b"trailing bytes after the picture"))
    assert response.status_code == 302
    photo = PupilPhoto.objects.get(pupil=world.pupil)
    assert photo.school == world.school and photo.uploaded_by == world.vie_scolaire
    assert photo.scan == ScanState.OFFERED  # the real clamd saw it at commit
    keys = list(s3.list_keys())
    assert keys == [photo.key] and photo.key.startswith("directory/photos/")
    stored = s3.get_stream(photo.key).read()
    assert b"PhoneMaker" not in stored and b"trailing bytes" not in stored
    assert Image.open(io.BytesIO(stored)).size == (160, 160)
    page = office.get(manage_url(world))
    assert page.status_code == 200 and photo_url(world.pupil) in page.content.decode()


def test_a_new_photo_replaces_the_old_one_in_the_store(world, s3, office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(office, world, jpeg())
    first = PupilPhoto.objects.get(pupil=world.pupil).key
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(office, world, png(), "new.png")
    second = PupilPhoto.objects.get(pupil=world.pupil)
    assert second.key != first and list(s3.list_keys()) == [second.key]
    assert PupilPhoto.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n", "photo.jpg", "type accepté"),
        (EICAR, "photo.jpg", "type accepté"),
        (png(), "photo.jpg", "ne correspond pas"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "photo.jpg", "endommagé"),
        (b"MZ\x90\x00" + b"\x00" * 64, "photo.jpg", "programme"),
        (b"", "photo.jpg", "vide"),
    ],
    ids=["pdf", "eicar", "png-named-jpg", "truncated-jpeg", "program", "empty"],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_stored(world, s3, office, data, name, words):
    response = post_photo(office, world, data, name)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not PupilPhoto.objects.exists()
    assert list(s3.list_keys()) == []


def test_a_photo_with_eicar_after_the_picture_is_stored_without_it(
    world, s3, office, django_capture_on_commit_callbacks
):
    """The stored file is our re-encoded thumbnail: what hides after the
    picture does not survive, and the antivirus then finds it clean."""
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(office, world, jpeg(extra=EICAR))
    photo = PupilPhoto.objects.get(pupil=world.pupil)
    assert photo.scan == ScanState.OFFERED
    assert EICAR not in s3.get_stream(photo.key).read()


def test_a_held_photo_is_not_shown_anywhere_until_the_antivirus_has_seen_it(world, s3, office, client, login_as):
    post_photo(office, world, jpeg())  # the commit callbacks (the scan) never run
    photo = PupilPhoto.objects.get(pupil=world.pupil)
    assert photo.scan == ScanState.HELD
    for person in (world.teacher, world.vie_scolaire):
        login_as(person)
        response = client.get(photo_url(world.pupil))
        assert response.status_code == 403 and response["Content-Type"].startswith("text/html")
        assert "no-store" in response["Cache-Control"]


def test_the_upload_form_without_a_file_says_so(world, office):
    response = office.post(manage_url(world), {"upload": "1"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode() or "obligatoire" in response.content.decode()


# --- Who sees the photo -----------------------------------------------------------------


@pytest.fixture
def offered(world, s3, office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(office, world, jpeg())
    photo = PupilPhoto.objects.get(pupil=world.pupil)
    assert photo.is_offered
    return photo


def test_the_pupils_teachers_and_office_see_the_photo_private_and_not_kept(world, offered, client, login_as):
    for person in (world.teacher, world.vie_scolaire, world.direction):
        login_as(person)
        response = client.get(photo_url(world.pupil))
        assert response.status_code == 200, person
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        assert Image.open(io.BytesIO(response.content)).size == (160, 160)
        assert "X-Amz-Signature" not in response.content.decode("latin-1")


def test_nobody_else_sees_the_photo(world, offered, client, login_as):
    """The pupil, the family, a class-mate and their family, another class's
    teacher, the référent, the territory admin, another school: 404."""
    from tests.factories import make_user

    classmate_parent = make_user("parent_camarade")
    from tests.factories import link_guardian

    link_guardian(classmate_parent, world.outsider_pupil)
    people = [
        world.pupil,
        world.guardian,
        world.guardian2,
        world.outsider_pupil,
        world.outsider_parent,
        classmate_parent,
        world.other_teacher,
        world.referent,
        world.admin,
        world.teacher_b,
        world.staff_b,
        world.parent_b,
    ]
    for person in people:
        login_as(person)
        assert client.get(photo_url(world.pupil)).status_code == 404, person
    client.logout()
    assert client.get(photo_url(world.pupil)).status_code == 302


def test_the_photo_answers_only_get(world, offered, client, login_as):
    login_as(world.teacher)
    assert client.post(photo_url(world.pupil)).status_code == 405
    assert client.delete(photo_url(world.pupil)).status_code == 405


def test_a_pupil_without_photo_or_a_bad_id_is_404(world, client, login_as):
    login_as(world.teacher)
    assert client.get(photo_url(world.pupil)).status_code == 404
    assert client.get("/annuaire/photos/eleves/99999999999999999999/").status_code == 404


def test_a_group_teacher_sees_the_photos_of_the_groups_pupils(world, offered, client, login_as):
    from tests.factories import make_user, teach

    latin = make_user("prof_latin")
    teach(latin, group=world.group)
    login_as(latin)
    assert client.get(photo_url(world.pupil)).status_code == 200


def test_once_the_pupil_left_the_school_nobody_sees_the_photo_and_the_purge_deletes_it(
    world, offered, s3, client, login_as, django_capture_on_commit_callbacks
):
    Enrollment.objects.filter(pupil=world.pupil).update(left_on=dt.date.today())
    login_as(world.vie_scolaire)
    assert client.get(photo_url(world.pupil)).status_code == 404
    assert photos.purge(dry_run=True) == 1 and PupilPhoto.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert photos.purge() == 1
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []


def test_the_office_of_another_school_cannot_upload_or_open_the_pages(world, client, login_as):
    login_as(world.staff_b)
    assert client.get(manage_url(world)).status_code == 404
    assert post_photo(client, world, jpeg()).status_code == 404
    assert client.get(reverse("directory:school_photos", args=[world.school.id])).status_code == 404
    # Its own school's page does not reach this school's pupil either.
    assert (
        client.get(reverse("directory:pupil_photo_manage", args=[world.school_b.id, world.pupil.id])).status_code == 404
    )
    assert not PupilPhoto.objects.exists()


def test_a_teacher_cannot_upload(world, client, login_as):
    login_as(world.teacher)
    assert post_photo(client, world, jpeg()).status_code == 404
    assert not PupilPhoto.objects.exists()


def test_the_photo_pages_refuse_other_methods(world, office):
    assert office.put(manage_url(world)).status_code == 405
    assert office.put(reverse("directory:school_photos", args=[world.school.id])).status_code == 405


# --- The family's refusal -----------------------------------------------------------------


def test_the_office_records_a_refusal_the_photo_is_deleted_and_uploads_are_refused(
    world, offered, s3, office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(manage_url(world), {"action": "refuse"}).status_code == 302
    assert PhotoRefusal.objects.filter(pupil=world.pupil, school=world.school).exists()
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []
    assert AuditEntry.objects.filter(action=photos.AUDIT_REFUSAL, target=world.pupil).count() == 1
    response = post_photo(office, world, jpeg())
    assert response.status_code == 400 and "a refusé les photos" in response.content.decode()
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []
    # Withdrawn by the office: a photo may be added again.
    assert office.post(manage_url(world), {"action": "allow"}).status_code == 302
    assert not PhotoRefusal.objects.exists()


def test_a_parent_refuses_from_the_childs_page_and_cannot_withdraw_it(
    world, offered, s3, client, login_as, django_capture_on_commit_callbacks
):
    url = reverse("directory:child_photo", args=[world.pupil.id, world.school.id])
    login_as(world.guardian)
    page = client.get(reverse("pupil_detail", args=[world.pupil.id])).content.decode()
    assert url in page
    assert "L’établissement a une photo de votre enfant" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "refuse"}).status_code == 302
    assert PhotoRefusal.objects.get(pupil=world.pupil).recorded_by == world.guardian
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []
    assert client.post(url, {"action": "allow"}).status_code == 400
    assert PhotoRefusal.objects.exists()


def test_another_family_cannot_record_a_refusal(world, offered, client, login_as):
    url = reverse("directory:child_photo", args=[world.pupil.id, world.school.id])
    for person in (world.outsider_parent, world.parent_b, world.outsider_pupil, world.teacher):
        login_as(person)
        assert client.post(url, {"action": "refuse"}).status_code == 404
    assert not PhotoRefusal.objects.exists() and PupilPhoto.objects.filter(pupil=world.pupil).exists()


def test_a_bad_action_changes_nothing(world, offered, office):
    response = office.post(manage_url(world), {"action": "explode"})
    assert response.status_code == 400
    assert PupilPhoto.objects.filter(pupil=world.pupil).exists() and not PhotoRefusal.objects.exists()


# --- A zip of photos ---------------------------------------------------------------------


def test_a_zip_of_photos_with_a_report_per_file(world, s3, office, django_capture_on_commit_callbacks):
    world.pupil.external_id = "123456789AB"
    world.pupil.save(update_fields=["external_id"])
    PhotoRefusal.objects.create(pupil=world.outsider_pupil, school=world.school)
    archive = make_zip(
        {
            "photos/123456789ab.JPG": jpeg(),  # by INE, any case, in a folder
            f"{world.other_pupil.username}.png": png(),  # by login
            f"{world.outsider_pupil.username}.jpg": jpeg(),  # the family refused
            "inconnu.jpg": jpeg(),
            f"{world.pupil_b.username}.jpg": jpeg(),  # another school's pupil: unknown here
            f"{world.klass.id}-notes.txt": b"hello",
            "__MACOSX/._123456789ab.JPG": b"junk",
        }
    )
    url = reverse("directory:school_photos", args=[world.school.id])
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(url, {"archive": upload(archive, "photos.zip")})
    assert response.status_code == 200
    report = {line["file"]: line["outcome"] for line in response.context["report"]}
    assert report == {
        "123456789ab.JPG": photos.MATCHED,
        f"{world.other_pupil.username}.png": photos.MATCHED,
        f"{world.outsider_pupil.username}.jpg": photos.SKIPPED,
        "inconnu.jpg": photos.UNKNOWN,
        f"{world.pupil_b.username}.jpg": photos.UNKNOWN,
        f"{world.klass.id}-notes.txt": photos.UNKNOWN,
    }
    assert set(PupilPhoto.objects.values_list("pupil_id", flat=True)) == {world.pupil.id, world.other_pupil.id}
    assert all(p.is_offered for p in PupilPhoto.objects.all())
    assert len(list(s3.list_keys())) == 2


def test_a_zip_file_that_is_not_a_photo_is_refused_with_its_reason(world, s3, office):
    archive = make_zip({f"{world.pupil.username}.jpg": b"%PDF-1.4\n%%EOF\n"})
    response = office.post(
        reverse("directory:school_photos", args=[world.school.id]), {"archive": upload(archive, "p.zip")}
    )
    (line,) = response.context["report"]
    assert line["outcome"] == photos.REFUSED and "type accepté" in str(line["message"])
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (hf.plain_zip_bomb(), "bombe zip"),
        (b"%PDF-1.4\n%%EOF\n", "n’est pas une archive zip"),
        (b"PK\x03\x04" + b"\x00" * 100, "endommagé"),
    ],
    ids=["bomb", "not-a-zip", "damaged"],
)
def test_a_bad_zip_is_refused_and_nothing_changes(world, s3, office, data, words):
    response = office.post(
        reverse("directory:school_photos", args=[world.school.id]), {"archive": upload(data, "p.zip")}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not PupilPhoto.objects.exists() and list(s3.list_keys()) == []


# --- The office's page ------------------------------------------------------------------


def test_the_photos_page_lists_the_schools_pupils_in_a_fixed_number_of_queries(
    world, office, django_assert_max_num_queries
):
    from tests.factories import make_class

    add_pupils(make_class(world.school), 30)
    with django_assert_max_num_queries(12):
        response = office.get(reverse("directory:school_photos", args=[world.school.id]))
    assert response.status_code == 200
    assert (
        response.content.decode().count(reverse("directory:pupil_photo_manage", args=[world.school.id, 0])[:-2]) >= 30
    )


# --- Privacy -------------------------------------------------------------------------------


def test_the_family_export_says_a_photo_is_kept_and_the_refusals(world, offered):
    PhotoRefusal.objects.create(pupil=world.pupil, school=world.school_b)
    data = photos.export(world.guardian, [world.pupil])
    assert [p["school"] for p in data["photos"]] == [world.school.name]
    assert [r["school"] for r in data["refusals"]] == [world.school_b.name]
    assert photos.export(world.outsider_parent, []) == {"photos": [], "refusals": []}
