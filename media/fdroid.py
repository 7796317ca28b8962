"""Each fleet's approved apps as an F-Droid repository, built and signed by
fdroidserver (`fdroid update -c`, run as a subprocess to isolate its global state).

The repository's signing key is per fleet, kept in the object store (its password
derives from SECRET_KEY), so tablets that trusted the fingerprint keep trusting
later builds. The built files go to fdroid/<fleet id>/repo/ in the store and are
served through short-lived presigned redirects (media:fdroid_file).
"""

import hashlib
import hmac
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ent import storage
from media import files
from media.actions import fleet_apps
from media.models import Fleet

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


def do_build_fdroid_repo(fleet: Fleet) -> str:
    """Build, sign and publish the repository; returns the signing key's SHA-256
    fingerprint. Idempotent: a rebuild replaces the published files."""
    fleet = Fleet.objects.select_related("school").get(pk=fleet.pk)
    revision = fleet.revision
    fdroid = shutil.which("fdroid") or str(Path(os.sys.executable).parent / "fdroid")
    with tempfile.TemporaryDirectory(prefix="ent-fdroid-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        (repo / "icons").mkdir(parents=True)
        (repo / "icons" / "icon.png").write_bytes(_ICON)
        keystore = _keystore(fleet, work)
        password = _password(fleet)
        config = work / "config.yml"
        config.write_text(
            "\n".join(
                [
                    f"repo_url: {repo_url(fleet)}",
                    f'repo_name: "{fleet.name} ({fleet.school.name})"'.replace("\n", " "),
                    "repo_description: Applications approved by the school for this fleet of tablets.",
                    "repo_icon: icon.png",
                    f"repo_keyalias: {ALIAS}",
                    f"keystore: {keystore}",
                    f"keystorepass: {password}",
                    f"keypass: {password}",
                    f"keydname: CN=ENT {fleet.school.uai} fleet {fleet.id}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        config.chmod(0o600)
        for link in fleet_apps(fleet):
            v = link.item.current_version
            with open(repo / f"{v.apk_package}_{v.apk_version_code}.apk", "wb") as fh:
                files.download_to(v.key, fh)
        _run([fdroid, "update", "-c", "--pretty"], work)
        fingerprint = _fingerprint(keystore, password, work)
        published = set()
        for path in sorted(repo.iterdir()):
            if not path.is_file():
                continue
            key = f"{_prefix(fleet)}repo/{path.name}"
            with open(path, "rb") as fh:
                storage.put_stream(key, fh, path.stat().st_size)
            published.add(key)
        for key in list(storage.list_keys(_prefix(fleet) + "repo/")):
            if key not in published:
                storage.delete(key)
    with transaction.atomic():
        Fleet.objects.filter(pk=fleet.pk).update(
            repo_fingerprint=fingerprint, repo_revision=revision, repo_built_at=timezone.now()
        )
    log.info("F-Droid repository of fleet %s built (revision %s)", fleet.id, revision)
    return fingerprint
