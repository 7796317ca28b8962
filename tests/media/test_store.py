"""The tablet store with real-world APKs (tests/media/make_apks.sh): the permissions a
tablet grants, one signer per package, complete metadata, and repositories that a real
F-Droid client (Debian's fdroidcl) and fdroidserver's own reader can use, and that a
failed build cannot leave stale or broken."""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from ent.files import ScanState
from media import actions, fdroid
from media.actions import repository
from media.files import FileRefused, inspect_apk
from media.models import Decision, Fleet, FleetItem, Version
from tests.media.conftest import APKS, apk_bytes, upload
from tests.media.helpers import offered_item

A = "android.permission."


def _names(perms):
    return {p[len(A) :] for p in perms}


def _aapt_permissions(path) -> set:
    """What aapt (Android's own tool) says the package gets: the oracle."""
    out = subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^uses-permission(?:-sdk-23)?: name='([^']+)'", out, re.M))


# Permissions -----------------------------------------------------------------


@pytest.mark.parametrize(
    "apk,expected,absent",
    [
        ("app-v2-sdk23.apk", {"INTERNET", "CAMERA", "REQUEST_INSTALL_PACKAGES"}, set()),
        # target < 4: Android grants storage and phone state to every such app.
        ("old-target3.apk", {"INTERNET", "WRITE_EXTERNAL_STORAGE", "READ_PHONE_STATE", "READ_EXTERNAL_STORAGE"}, set()),
        # target < 16: contacts imply the call log.
        ("contacts-target15.apk", {"READ_CONTACTS", "WRITE_CONTACTS", "READ_CALL_LOG", "WRITE_CALL_LOG"}, set()),
        # maxSdkVersion 18 < minSdk 21: never granted; maxSdkVersion 28: granted on 21-28.
        ("maxsdk.apk", {"INTERNET", "ACCESS_FINE_LOCATION"}, {"WRITE_EXTERNAL_STORAGE", "READ_EXTERNAL_STORAGE"}),
        # No <uses-sdk>: Android's defaults (min 1, target 1), so the target < 4 grants apply.
        ("nosdk.apk", {"INTERNET", "WRITE_EXTERNAL_STORAGE", "READ_PHONE_STATE"}, set()),
    ],
)
def test_granted_permissions_are_what_android_grants(apk, expected, absent):
    info = inspect_apk(APKS / apk)
    got = _names(info.permissions)
    assert expected <= got
    assert not (absent & got)
    # Never less than aapt's list (uses-permission, -sdk-23 and uses-implied-permission),
    # except what maxSdkVersion rules out.
    oracle = _names(_aapt_permissions(APKS / apk)) - absent
    assert oracle <= got


def test_resource_version_name_and_sdk_defaults():
    assert inspect_apk(APKS / "resname.apk").version_name == "2.5-res"
    nosdk = inspect_apk(APKS / "nosdk.apk")
    assert (nosdk.min_sdk, nosdk.target_sdk) == (1, 1)
    chain = inspect_apk(APKS / "chain.apk")
    # A v1 signature whose block holds a chain: apksigner and fdroidserver (through
    # oscrypto) agree on the signer.
    assert chain.cert_sha256 and chain.fdroid_readable
    # jarsigner's chained block (signed attributes): valid, but fdroidserver cannot verify it.
    jar = inspect_apk(APKS / "chain-jarsigner.apk")
    assert jar.cert_sha256 == chain.cert_sha256 and not jar.fdroid_readable


@pytest.mark.django_db
def test_an_app_fdroidserver_cannot_read_stays_off_the_tablets(world, store, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks, name="chain-jarsigner.apk")
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile 1")
    with pytest.raises(FileRefused, match="cannot verify this app's signature"):
        actions.do_set_fleet_item(world.referent, fleet, item, mandatory=True)
    assert not fleet.fleet_items.exists()


def test_oscrypto_works_with_openssl_3():
    """fdroidserver reads chained JAR signatures with oscrypto: PyPI's 1.3.0 raises
    LibraryNotFoundError on OpenSSL 3.0.x; the venv must carry Debian's fix."""
    import oscrypto.asymmetric  # noqa: F401 - the import itself failed
    from oscrypto._openssl._libcrypto import libcrypto_version_info  # noqa: PLC2701

    assert libcrypto_version_info >= (1, 0)


def _app(world, cb, name="app-v1.apk", title="Appli", **extra):
    return offered_item(world, cb, kind="apk", data=apk_bytes(name), name="app.apk", title=title, **extra)


def _new_version(world, item, name, cb):
    with cb(execute=True):
        version = actions.do_add_version(world.teacher, item, upload(apk_bytes(name), "app.apk"))
    version.refresh_from_db()
    item.refresh_from_db()
    return version


@pytest.mark.django_db
def test_sdk23_permissions_are_not_approved_automatically(
    world, store, django_capture_on_commit_callbacks, client, login_as
):
    """Defect 1: CAMERA and REQUEST_INSTALL_PACKAGES through <uses-permission-sdk-23>
    were "approved automatically (same signer, no new permission)"."""
    item = _app(world, django_capture_on_commit_callbacks)
    v1 = item.current_version
    v2 = _new_version(world, item, "app-v2-sdk23.apk", django_capture_on_commit_callbacks)
    assert v2.review == Version.Review.PENDING
    assert item.current_version_id == v1.id
    assert not Decision.objects.filter(item=item, verdict=Decision.Verdict.AUTO_APPROVED).exists()
    assert v2.apk_new_permissions == [A + "CAMERA", A + "REQUEST_INSTALL_PACKAGES"]
    login_as(world.referent)
    page = client.get(reverse("media:item", args=[item.id])).content.decode()
    section = page[page.index(f'id="v{v2.id}-title"') :]
    section = section[: section.index("</article>")]
    # Plain words, level, new ones highlighted, dangerous first.
    assert "Take pictures and record videos" in section
    assert section.index("CAMERA") < section.index("REQUEST_INSTALL_PACKAGES") < section.index(A + "INTERNET")
    assert re.search(r"<ins><strong>new</strong>[^<]*<span class=\"badge\">dangerous</span>\s*Take pictures", section)
    assert "<ins>" not in section[section.index(A + "INTERNET") - 200 : section.index(A + "INTERNET")]


@pytest.mark.django_db
def test_review_page_in_french_explains_permissions(world, store, django_capture_on_commit_callbacks, client, login_as):
    from django.utils import translation

    item = _app(world, django_capture_on_commit_callbacks, name="old-target3.apk")
    login_as(world.referent)
    with translation.override("fr"):
        page = client.get(reverse("media:item", args=[item.id]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Lire l&#x27;identité de l&#x27;appareil" in page or "Lire l'identité de l'appareil" in page
    assert "None" not in page


# One signer per package ----------------------------------------------------------


@pytest.mark.django_db
def test_same_package_from_another_signer_as_a_new_item(
    world, store, django_capture_on_commit_callbacks, client, login_as
):
    """Defect 2: a second item with the same package and another certificate was
    approvable without a word, and both could sit in one fleet."""
    first = _app(world, django_capture_on_commit_callbacks)
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile 1")
    actions.do_set_fleet_item(world.referent, fleet, first, mandatory=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = actions.do_propose_item(
            world.teacher,
            world.school,
            {"kind": "apk", "title": "Copie"},
            uploaded=upload(apk_bytes("app-otherkey.apk")),
        )
    version = second.versions.get()
    assert version.scan == ScanState.OFFERED
    old = first.current_version.apk_cert_sha256
    assert version.apk_other_signer == old and version.apk_other_item_id == first.id
    assert version.apk_cert_sha256 != old
    login_as(world.referent)
    page = client.get(reverse("media:item", args=[second.id])).content.decode()
    assert old in page and version.apk_cert_sha256 in page and "Another signer" in page
    # Not approvable without a deliberate, recorded signer change.
    response = client.post(reverse("media:approve", args=[second.id]), {"version": version.id})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == "proposed" and second.current_version_id is None
    with pytest.raises(FileRefused, match="another signer"):
        actions.do_approve(world.referent, second, version)
    client.post(
        reverse("media:approve", args=[second.id]),
        {"version": version.id, "signer_change_reason": "L'éditeur a changé de clé (courriel du 3 mars)."},
    )
    second.refresh_from_db()
    assert second.current_version_id == version.id
    change = Decision.objects.get(item=second, verdict=Decision.Verdict.SIGNER_CHANGE)
    assert change.decided_by == world.referent and old in change.reason and "changé de clé" in change.reason
    # Still never in the fleet that has the first.
    with pytest.raises(FileRefused, match="already has org.ent.demo"):
        actions.do_set_fleet_item(world.referent, fleet, second, mandatory=True)
    assert list(fleet.fleet_items.values_list("item_id", flat=True)) == [first.id]
    manifest = actions.build_manifest(fleet, "http://x")
    assert [a["package"] for a in manifest["apps"]] == ["org.ent.demo"]
    # And the build refuses a repository with two signers for one package, should
    # rows ever say so (no signing key is even made).
    FleetItem.objects.create(fleet=fleet, item=second)
    with pytest.raises(fdroid.RepoBuildFailed, match="two signers"):
        fdroid.do_build_fdroid_repo(fleet)
    assert list(store.list_keys(f"fdroid/{fleet.id}/")) == []


# The repository, read by real clients --------------------------------------------


def _fdroidcl(home, *args, check=True):
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    done = subprocess.run(["fdroidcl", *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"fdroidcl {args}: {done.stdout}\n{done.stderr}")
    return done


# Three real builds (fdroid update, jarsigner, apksigner) on a shared 2-core machine.
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_real_clients_read_the_repository_and_a_failed_build_keeps_it(
    world, store, live_server, settings, django_capture_on_commit_callbacks, tmp_path, client, login_as, monkeypatch
):
    """Defects 3 to 6: a chained signature, the clients' own readers, withdrawal
    at once, a failed build leaving the previous repository served."""
    from fdroidserver import index

    from ent.notify.models import Notification

    if not shutil.which("fdroidcl"):
        pytest.fail("fdroidcl is missing: apt-get install -y fdroidcl")
    settings.SITE_URL = live_server.url
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_FDROID_BUILD_IN_THREAD = False
    cb = django_capture_on_commit_callbacks
    chain = _app(world, cb, name="chain.apk", title="Chaîne", licence="GPL-3.0-or-later", summary="Signée en chaîne")
    named = _app(
        world,
        cb,
        name="resname.apk",
        title="Lecture",
        summary="Lire des histoires",
        description="Des histoires à lire.",
        title_en="Reading",
        summary_en="Read stories",
        licence="CC-BY-SA-4.0",
    )
    fleet = Fleet.objects.create(school=world.school, name="Classe mobile CM2")
    actions.do_set_fleet_item(world.referent, fleet, chain, mandatory=True)
    actions.do_set_fleet_item(world.referent, fleet, named, mandatory=False)
    fingerprint = fdroid.do_build_fdroid_repo(fleet)
    fleet.refresh_from_db()
    assert fleet.repo_build and not fleet.repo_error

    # Index files are served directly (no redirect), with an ETag and 304.
    base = f"/ressources/fdroid/{fleet.repo_secret}/repo/"
    assert reverse("media:fdroid_file", args=[fleet.repo_secret, "entry.jar"]) == base + "entry.jar"
    served = {}
    for name in ("entry.jar", "entry.json", "index-v2.json", "index-v1.jar"):
        response = client.get(base + name)
        assert response.status_code == 200, name
        served[name] = b"".join(response.streaming_content)
        again = client.get(base + name, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        (tmp_path / name).write_bytes(served[name])
    entry, _k, _f = index.get_index_from_jar(str(tmp_path / "entry.jar"), fingerprint)
    assert entry["index"]["sha256"] == hashlib.sha256(served["index-v2.json"]).hexdigest()
    with pytest.raises(Exception):  # noqa: B017 - fdroidserver raises VerificationException
        index.get_index_from_jar(str(tmp_path / "entry.jar"), "00" * 32)

    # Metadata as the item says, not build-folder names or "Unknown".
    v2 = json.loads(served["index-v2.json"])
    meta = v2["packages"]["org.ent.resname"]["metadata"]
    assert meta["categories"] == ["Classe mobile CM2"]
    assert meta["license"] == "CC-BY-SA-4.0"
    assert meta["name"] == {"fr-FR": "Lecture", "en-US": "Reading"}
    assert meta["summary"] == {"fr-FR": "Lire des histoires", "en-US": "Read stories"}
    assert "Des histoires à lire." in meta["description"]["fr-FR"]
    [version] = v2["packages"]["org.ent.resname"]["versions"].values()
    assert version["manifest"]["versionName"] == "2.5-res"
    v1 = index.get_index_from_jar(str(tmp_path / "index-v1.jar"), fingerprint, allow_deprecated=True)[0]
    apps = {a["packageName"]: a for a in v1["apps"]}
    assert apps["org.ent.resname"]["suggestedVersionCode"] == "25"
    assert apps["org.ent.chain"]["categories"] == ["Classe mobile CM2"]

    # fdroidserver's own client (no redirects) reads the served repository.
    data, _etag = index.download_repo_index_v2(f"{live_server.url}{base}?fingerprint={fingerprint}")
    assert set(data["packages"]) == {"org.ent.chain", "org.ent.resname"}

    # Debian's F-Droid client: exactly the approved apps, their version names, a download.
    home = tmp_path / "home"
    home.mkdir()
    for listed in _fdroidcl(home, "repo").stdout.split("\n\n"):
        name = re.search(r"Name: (\S+)", listed)
        if name and "Enabled: yes" in listed:
            _fdroidcl(home, "repo", "disable", name.group(1))
    _fdroidcl(home, "repo", "add", "school", f"{live_server.url}{base.rstrip('/')}")
    _fdroidcl(home, "update")
    found = _fdroidcl(home, "search").stdout
    assert sorted(re.findall(r"^(org\.\S+)", found, re.M)) == ["org.ent.chain", "org.ent.resname"]
    shown = _fdroidcl(home, "show", "org.ent.resname").stdout
    assert "2.5-res" in shown
    got = _fdroidcl(home, "download", "org.ent.chain").stdout + _fdroidcl(home, "download", "org.ent.chain").stderr
    path = next(Path(p) for p in re.findall(r"(/\S+\.apk)", got) if Path(p).exists())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == chain.current_version.sha256

    # A withdrawal whose rebuild fails: the fleet also holds (rows from before this
    # check) an app whose signature fdroidserver cannot verify, so fdroid update
    # leaves it out and the build refuses to publish. The withdrawn APK is no longer
    # served at once, the previous index stays served and verified, the page says
    # why, the référent is told.
    unreadable = _app(world, cb, name="chain-jarsigner.apk", title="Illisible")
    FleetItem.objects.create(fleet=fleet, item=unreadable)
    shutil.rmtree(home / ".cache", ignore_errors=True)
    with cb(execute=True):
        actions.do_withdraw(world.referent, chain)
    fleet.refresh_from_db()
    assert "left out: org.ent.chainjar" in fleet.repo_error
    assert b"".join(client.get(base + "entry.jar").streaming_content) == served["entry.jar"]
    assert client.get(base + "org.ent.chain_4.apk").status_code == 404
    assert _fdroidcl(home, "download", "org.ent.chain", check=False).returncode != 0
    assert Notification.objects.filter(recipient=world.referent, kind="fleet.repository_failed").count() == 1
    login_as(world.referent)
    page = client.get(reverse("media:fleet", args=[fleet.id])).content.decode()
    assert "Out of date" in page and "left out: org.ent.chainjar" in page

    # Fixed (the app removed): the rebuild publishes, index and manifest agree again,
    # and the other app's APK came from the worker's cache (keyed by SHA-256).
    downloads = []
    real_download = fdroid.files.download_to
    monkeypatch.setattr(fdroid.files, "download_to", lambda key, fh: downloads.append(key) or real_download(key, fh))
    with cb(execute=True):
        actions.do_remove_fleet_item(world.referent, fleet, unreadable)
    fleet.refresh_from_db()
    assert fleet.repo_error == ""
    assert named.current_version.key not in downloads
    fresh = json.loads(b"".join(client.get(base + "index-v2.json").streaming_content))
    assert set(fresh["packages"]) == {"org.ent.resname"}
    assert [a["package"] for a in actions.build_manifest(fleet, "http://x")["apps"]] == ["org.ent.resname"]
    # Only the published build is kept in the store.
    builds = {k.split("/")[3] for k in store.list_keys(f"fdroid/{fleet.id}/builds/")}
    assert builds == {fleet.repo_build}


@pytest.mark.django_db
def test_fleet_page_gives_the_fdroid_link_with_fingerprint(world, client, login_as):
    from django.utils import timezone

    fleet = Fleet.objects.create(
        school=world.school, name="CM1", repo_fingerprint="ab" * 32, repo_built_at=timezone.now(), repo_build="x"
    )
    login_as(world.referent)
    page = client.get(reverse("media:fleet", args=[fleet.id])).content.decode()
    assert f"/repo?fingerprint={'AB' * 32}" in page
    assert "<svg" in page


@pytest.mark.django_db
def test_build_now_is_queued_never_run_in_the_request(
    world, client, login_as, monkeypatch, django_capture_on_commit_callbacks
):
    fleet = Fleet.objects.create(school=world.school, name="CM1")
    queued = []
    # Where do_request_repo_build looks it up: media.actions.repository.
    monkeypatch.setattr(repository, "queue_repo_build", queued.append)
    monkeypatch.setattr(fdroid, "do_build_fdroid_repo", lambda f: pytest.fail("built inside the request"))
    url = reverse("media:fleet_build_repo", args=[fleet.id])
    login_as(world.staff_b)
    assert client.post(url).status_code == 404  # another school's fleet
    login_as(world.referent)
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert queued == [fleet.id]


@pytest.mark.django_db
def test_failed_builds_are_retried_by_the_sweep(world, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from media import tasks

    now = timezone.now()
    failed = Fleet.objects.create(
        school=world.school, name="A", repo_built_at=now, repo_error="boom", repo_failed_at=now - timedelta(minutes=6)
    )
    Fleet.objects.create(school=world.school, name="B", repo_built_at=now, repo_error="boom", repo_failed_at=now)
    Fleet.objects.create(school=world.school, name="C", repo_built_at=now)
    queued = []
    monkeypatch.setattr(tasks.build_fdroid_repo, "delay", queued.append)
    tasks.retry_stale_repositories()
    assert queued == [failed.id]


@pytest.mark.django_db
def test_a_failure_is_recorded_and_told_once(world):
    from ent.notify.models import Notification

    fleet = Fleet.objects.create(school=world.school, name="CM1")
    actions.do_record_repo_failure(fleet.id, "fdroid update failed: x")
    actions.do_record_repo_failure(fleet.id, "fdroid update failed: y")
    fleet.refresh_from_db()
    assert fleet.repo_error == "fdroid update failed: y" and fleet.repo_failed_at
    assert list(Notification.objects.filter(kind="fleet.repository_failed").values_list("recipient", flat=True)) == [
        world.referent.id
    ]


@pytest.mark.django_db
def test_an_update_from_another_signer_needs_a_recorded_signer_change(world, store, django_capture_on_commit_callbacks):
    item = _app(world, django_capture_on_commit_callbacks)
    v1 = item.current_version
    v2 = _new_version(world, item, "app-otherkey.apk", django_capture_on_commit_callbacks)
    assert v2.apk_cert_changed and v2.review == Version.Review.PENDING
    with pytest.raises(FileRefused, match="another signer"):
        actions.do_approve(world.referent, item, v2, signer_change_reason="   ")
    item.refresh_from_db()
    assert item.current_version_id == v1.id
    actions.do_approve(world.referent, item, v2, signer_change_reason="Nouvelle clé annoncée par l'éditeur")
    item.refresh_from_db()
    assert item.current_version_id == v2.id
    change = item.decisions.get(verdict=Decision.Verdict.SIGNER_CHANGE)
    assert v1.apk_cert_sha256 in change.reason and v2.apk_cert_sha256 in change.reason
