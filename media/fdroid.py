"""Each fleet's approved apps as an F-Droid repository, built and signed by
fdroidserver (`fdroid update`, run as a subprocess to isolate its global state),
always in a Celery task (media.tasks.build_fdroid_repo).

The repository's signing key is per fleet, kept in the object store (its password
derives from SECRET_KEY), so tablets that trusted the fingerprint keep trusting
later builds.

A build never leaves tablets with a broken or half-written repository: it runs in
a fresh folder, is verified (the signed entry.jar with the fleet's fingerprint,
index-v2.json against the hash entry.json gives), its index files are uploaded to
a fresh prefix fdroid/<fleet>/builds/<build id>/, and only then does the fleet
switch to it (Fleet.repo_build, one UPDATE). A failed build changes nothing that
tablets read. APKs are not copied into the build: media:fdroid_file serves each
one from the approved version's own object, after checking that it is still
offered in that fleet, so a withdrawal takes effect at once even if the rebuild
that follows fails. The worker keeps APKs it already fetched, keyed by SHA-256.
"""

import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from ent import storage
from ent.files import ScanState
from media import files
from media.models import Fleet, Illustration

log = logging.getLogger(__name__)

ALIAS = "ent"
# A 1×1 PNG: without a repo icon fdroid spends seconds drawing a placeholder.
_ICON = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


class RepoBuildFailed(Exception):
    pass


def _prefix(fleet):
    return f"fdroid/{fleet.id}/"


def _password(fleet) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"fdroid-{fleet.id}".encode(), hashlib.sha256).hexdigest()[:32]


def _run(args, cwd, timeout=600):
    env = {**os.environ, "HOME": str(cwd)}
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        raise RepoBuildFailed(f"{args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def _keystore(fleet, workdir: Path) -> Path:
    """Fetch the fleet's key from the store, or make it the first time."""
    path = workdir / "keystore.p12"
    key = _prefix(fleet) + "keystore.p12"
    if storage.stat(key) is not None:
        with open(path, "wb") as fh:
            files.download_to(key, fh)
        return path
    password = _password(fleet)
    _run(
        [
            shutil.which("keytool") or "keytool",
            "-genkeypair",
            "-keystore", str(path),
            "-storetype", "PKCS12",
            "-storepass", password,
            "-keypass", password,
            "-alias", ALIAS,
            "-keyalg", "RSA",
            "-keysize", "4096",
            "-validity", "10000",
            "-dname", f"CN=ENT {fleet.school.uai} fleet {fleet.id}",
        ],
        workdir,
    )  # fmt: skip
    with open(path, "rb") as fh:
        storage.put_stream(key, fh, path.stat().st_size, content_type="application/x-pkcs12")
    return path


def _fingerprint(keystore: Path, password: str, workdir: Path) -> str:
    der = workdir / "cert.der"
    _run(
        [shutil.which("keytool") or "keytool", "-exportcert", "-keystore", str(keystore), "-storepass", password,
         "-alias", ALIAS, "-file", str(der)],
        workdir,
    )  # fmt: skip
    return hashlib.sha256(der.read_bytes()).hexdigest()


def repo_url(fleet) -> str:
    index = reverse("media:fdroid_file", args=[fleet.repo_secret, "index-v1.jar"])
    return settings.SITE_URL + index.rsplit("/", 1)[0]


def apk_name(version) -> str:
    """The APK's file name in the repository: what the index lists and the
    client asks for."""
    return f"{version.apk_package}_{version.apk_version_code}.apk"


def build_key(fleet, build_id, name) -> str:
    return f"{_prefix(fleet)}builds/{build_id}/{name}"


def _cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "fdroid-apks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fetch_apk(version, dest: Path) -> bool:
    """Put the version's APK at dest, from the worker's cache when the same bytes
    (same SHA-256) were fetched before; returns True when it was downloaded."""
    cached = _cache_dir() / f"{version.sha256}.apk"
    downloaded = False
    if not cached.exists():
        part = cached.with_suffix(f".{uuid.uuid4().hex}.part")
        try:
            with open(part, "wb") as fh:
                sha256, _size = files.download_to(version.key, fh)
            if sha256 != version.sha256:
                raise RepoBuildFailed(f"{version.apk_package}: the stored APK does not match its SHA-256")
            os.replace(part, cached)
        finally:
            part.unlink(missing_ok=True)
        downloaded = True
    else:
        os.utime(cached)  # still in use: kept by _prune_cache
    try:
        os.link(cached, dest)
    except OSError:
        shutil.copyfile(cached, dest)
    return downloaded


CACHE_DAYS = 30


def _prune_cache():
    """APKs no build used for a month: the approved versions moved on."""
    limit = timezone.now().timestamp() - CACHE_DAYS * 86400
    for path in _cache_dir().glob("*.apk"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _yaml_str(text) -> str:
    # JSON strings are valid YAML scalars: no quoting rules of our own.
    return json.dumps(str(text), ensure_ascii=False)


def _write_metadata(work: Path, fleet, link, icon_path: Path | None):
    """metadata/<package>.yml and its localized texts: name, summary, description,
    licence, the fleet's name as category and the approved version as the
    suggested one (fdroidserver's CurrentVersionCode). Name, summary and
    description go only in the per-locale files: a Name in the .yml would stand
    for every language (fdroidserver then ignores the localized ones)."""
    item, v = link.item, link.item.current_version
    meta = work / "metadata"
    lines = [
        f"Categories: [{_yaml_str(fleet.name)}]",
        f"License: {_yaml_str(item.licence or 'Unknown')}",
        f"CurrentVersionCode: {int(v.apk_version_code or 0)}",
        f"CurrentVersion: {_yaml_str(v.apk_version_name)}",
    ]
    (meta / f"{v.apk_package}.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    texts = {
        "fr-FR": (item.title, item.summary, strip_tags(item.description_html)),
        "en-US": (item.title_en, item.summary_en, strip_tags(item.description_en_html)),
    }
    for locale, (name, summary, description) in texts.items():
        folder = meta / v.apk_package / locale
        folder.mkdir(parents=True, exist_ok=True)
        for filename, text in (("name.txt", name), ("summary.txt", summary), ("description.txt", description)):
            if text and text.strip():
                (folder / filename).write_text(text.strip() + "\n", encoding="utf-8")
        if icon_path is not None and locale == "fr-FR":
            shutil.copyfile(icon_path, folder / "icon.png")


def _icon(link, work: Path) -> Path | None:
    icon = (
        Illustration.objects.filter(item=link.item, role=Illustration.Role.ICON, scan=ScanState.OFFERED)
        .exclude(key="")
        .first()
    )
    if icon is None or icon.content_type != "image/png":
        return None
    path = work / f"icon-{icon.id}.png"
    with open(path, "wb") as fh:
        files.download_to(icon.key, fh)
    return path


def check_one_signer_per_package(apps) -> None:
    """The repository can never hold two apps, nor two signers, for one package."""
    seen = {}
    for link in apps:
        v = link.item.current_version
        if v.apk_package in seen:
            other = seen[v.apk_package]
            if other.apk_cert_sha256 != v.apk_cert_sha256:
                raise RepoBuildFailed(
                    f"{v.apk_package} is offered by two signers ({other.apk_cert_sha256} and {v.apk_cert_sha256})"
                )
            raise RepoBuildFailed(f"{v.apk_package} is offered twice in this fleet")
        seen[v.apk_package] = v


def verify_repo(repo: Path, fingerprint: str) -> None:
    """What a client checks: entry.jar signed by the fleet's key, index-v2.json
    the one entry.json vouches for."""
    from fdroidserver import common, index

    # get_index_from_jar reads the jarsigner path from fdroidserver's module config.
    if common.config is None:
        common.config = {"jarsigner": shutil.which("jarsigner") or "jarsigner"}
    try:
        entry, _key, _fp = index.get_index_from_jar(str(repo / "entry.jar"), fingerprint)
    except Exception as exc:
        raise RepoBuildFailed(f"entry.jar does not verify: {exc}") from exc
    digest = hashlib.sha256((repo / "index-v2.json").read_bytes()).hexdigest()
    if entry.get("index", {}).get("sha256") != digest:
        raise RepoBuildFailed("index-v2.json does not match the hash in entry.json")
    on_disk = json.loads((repo / "entry.json").read_text(encoding="utf-8"))
    if on_disk.get("index", {}).get("sha256") != digest:
        raise RepoBuildFailed("entry.json and entry.jar disagree")


def check_all_indexed(repo: Path, apps) -> None:
    """fdroidserver skips, with a mere warning, an APK it cannot read: the index
    must list every approved app of the fleet, with its exact bytes."""
    packages = json.loads((repo / "index-v2.json").read_text(encoding="utf-8")).get("packages", {})
    missing = []
    for link in apps:
        v = link.item.current_version
        hashes = {ver["file"]["sha256"] for ver in packages.get(v.apk_package, {}).get("versions", {}).values()}
        if v.sha256 not in hashes:
            missing.append(v.apk_package)
    if missing:
        raise RepoBuildFailed(f"fdroid update left out: {', '.join(missing)} (signature it cannot verify?)")


SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def index_files(repo: Path):
    """The repository's files except APKs (served from the versions' own objects)."""
    for path in sorted(repo.rglob("*")):
        if not path.is_file() or path.suffix == ".apk" or path.name.endswith((".idsig", ".asc")):
            continue
        name = path.relative_to(repo).as_posix()
        if SAFE_PATH.match(name) and ".." not in name:
            yield name, path


def do_build_fdroid_repo(fleet: Fleet) -> str:
    """Build, verify and publish the repository; returns the signing key's SHA-256
    fingerprint. Raises RepoBuildFailed (and changes nothing tablets read) when
    any step fails. Idempotent."""
    import time

    started = time.monotonic()
    fleet = Fleet.objects.select_related("school").get(pk=fleet.pk)
    revision = fleet.revision
    fdroid = shutil.which("fdroid") or str(Path(os.sys.executable).parent / "fdroid")
    build_id = f"{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    uploaded = []
    apps = list(fleet.offered_apps())
    check_one_signer_per_package(apps)
    with tempfile.TemporaryDirectory(prefix="ent-fdroid-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        (repo / "icons").mkdir(parents=True)
        (work / "metadata").mkdir()
        (repo / "icons" / "icon.png").write_bytes(_ICON)
        keystore = _keystore(fleet, work)
        password = _password(fleet)
        config = work / "config.yml"
        name = f"{fleet.name} ({fleet.school.name})".replace("\n", " ")
        config.write_text(
            "\n".join(
                [
                    f"repo_url: {_yaml_str(repo_url(fleet))}",
                    f"repo_name: {_yaml_str(name)}",
                    "repo_description: Applications approved by the school for this fleet of tablets.",
                    "repo_icon: icon.png",
                    f"repo_keyalias: {ALIAS}",
                    f"keystore: {_yaml_str(keystore)}",
                    f"keystorepass: {password}",
                    f"keypass: {password}",
                    f"keydname: {_yaml_str(f'CN=ENT {fleet.school.uai} fleet {fleet.id}')}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        config.chmod(0o600)
        downloads = 0
        for link in apps:
            v = link.item.current_version
            downloads += _fetch_apk(v, repo / apk_name(v))
            _write_metadata(work, fleet, link, _icon(link, work))
        # Not -c: the metadata files above are the source of truth, as in an fdroiddata checkout.
        _run([fdroid, "update", "--pretty"], work)
        fingerprint = _fingerprint(keystore, password, work)
        verify_repo(repo, fingerprint)
        check_all_indexed(repo, apps)
        try:
            for rel, path in index_files(repo):
                key = build_key(fleet, build_id, rel)
                with open(path, "rb") as fh:
                    storage.put_stream(key, fh, path.stat().st_size, content_type=_content_type(rel))
                uploaded.append(key)
        except Exception:
            for key in uploaded:
                _delete_quietly(key)
            raise
    with transaction.atomic():
        locked = Fleet.objects.select_for_update().get(pk=fleet.pk)
        if locked.repo_build and locked.repo_revision > revision:
            # A newer build was published meanwhile: keep it, drop ours.
            stale, previous = build_id, None
        else:
            stale, previous = None, locked.repo_build
            Fleet.objects.filter(pk=fleet.pk).update(
                repo_fingerprint=fingerprint,
                repo_revision=revision,
                repo_built_at=timezone.now(),
                repo_build=build_id,
                repo_error="",
                repo_failed_at=None,
            )
        transaction.on_commit(lambda: _delete_build(fleet, stale or previous))
    _prune_cache()
    log.info(
        "F-Droid repository of fleet %s built in %.1f s (revision %s, %s of %s APKs downloaded)",
        fleet.id,
        time.monotonic() - started,
        revision,
        downloads,
        len(apps),
    )
    return fingerprint


def _content_type(name):
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".jar"):
        return "application/java-archive"
    if name.endswith(".png"):
        return "image/png"
    return "application/octet-stream"


def _delete_quietly(key):
    try:
        storage.delete(key)
    except Exception:
        log.warning("could not delete %s", key)


def _delete_build(fleet, build_id):
    if not build_id:
        return
    for key in list(storage.list_keys(f"{_prefix(fleet)}builds/{build_id}/")):
        _delete_quietly(key)
    # Files of the layout before builds had their own folders.
    for key in list(storage.list_keys(f"{_prefix(fleet)}repo/")):
        _delete_quietly(key)
