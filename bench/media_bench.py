"""Resources benchmark (prints figures; not part of the test suite).

    .venv/bin/python -m bench.media_bench [--size-mb 200] [--polls 500]

Starts a real S3 server (`weed mini`) and one gunicorn sync worker on a fresh
SQLite file (or DATABASE_URL), then measures:
- a 200 MB file uploaded through the server (multipart form, streamed to the
  store) and through the direct path (browser PUT to the store, then the server
  checks size and SHA-256 by streaming it back), and downloaded (presigned
  redirect, bytes from the store): the worker's resident memory growth (peak
  during the request minus before);
- download authorisation (access check + presign): in-process p50, and the whole
  HTTP request p50;
- a tablet's manifest poll with nothing new (If-None-Match → 304): HTTP p50.

The virus scan is left out (clamd would need StreamMaxLength above the file size);
it streams the object the same way as the checksum step.
"""

import argparse
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakRSS:
    """Polls a process's RSS every 20 ms in a thread; .peak in bytes."""

    def __init__(self, pid):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()

    @property
    def growth_mb(self):
        return (self.peak - self.base) / 1024**2


def _p50_ms(samples):
    return statistics.median(samples) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--polls", type=int, default=500)
    args = parser.parse_args()

    work_db = Path(tempfile.mkdtemp(prefix="ent-media-bench-db-")) / "bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ent.test_settings"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work_db}")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY, S3Server

    work = Path(tempfile.mkdtemp(prefix="ent-media-bench-"))
    s3 = S3Server()
    s3.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ent.test_settings",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "S3_ENDPOINT": s3.endpoint,
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
        "MEDIA_QUOTA_TEACHER_BYTES": str(10 * 1024**3),
        "CLAMD_SOCKET": "",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    from django.conf import settings
    from django.test import Client

    from ent import storage
    from media import access, actions, files
    from media.models import Fleet, Item
    from tests.factories import build_world

    settings.S3_ENDPOINT = settings.S3_PUBLIC_ENDPOINT = s3.endpoint
    settings.S3_ACCESS_KEY, settings.S3_SECRET_KEY = S3_ACCESS_KEY, S3_SECRET_KEY
    settings.S3_BUCKET = "ent-test"
    settings.MEDIA_QUOTA_TEACHER_BYTES = 10 * 1024**3
    storage.reset_clients()
    storage.ensure_bucket()
    w = build_world()

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "ent.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import psutil
    import requests

    try:
        for _ in range(100):
            try:
                requests.get(base + "/accounts/login/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        worker = psutil.Process(server.pid).children()[0].pid

        def session_for(user):
            c = Client()
            c.force_login(user)
            s = requests.Session()
            s.cookies.set(settings.SESSION_COOKIE_NAME, c.cookies[settings.SESSION_COOKIE_NAME].value)
            return s

        teacher = session_for(w.teacher)
        page = teacher.get(base + "/ressources/proposer/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        # Warm the worker (imports, templates) before measuring.
        teacher.get(base + "/ressources/")

        size = args.size_mb * 1024**2
        big = work / "big.pdf"
        with open(big, "wb") as fh:
            fh.write(b"%PDF-1.4\n")
            block = os.urandom(1024**2)
            while fh.tell() < size:
                fh.write(block[: size - fh.tell()])
        print(f"file: {size / 1024**2:.0f} MB")

        # 1. Streamed through the server.
        with open(big, "rb") as fh, PeakRSS(worker) as rss:
            started = time.monotonic()
            r = teacher.post(
                base + "/ressources/proposer/",
                data={"csrfmiddlewaretoken": csrf, "school": w.school.id, "kind": "document", "title": "Gros"},
                files={"file": ("gros.pdf", fh, "application/pdf")},
                headers={"Referer": base + "/ressources/proposer/"},
                allow_redirects=False,
            )
            took = time.monotonic() - started
        assert r.status_code == 302, (r.status_code, r.text[:500])
        print(f"upload through the server: {took:.1f} s, worker RSS growth {rss.growth_mb:.1f} MB")

        # 2. Direct: PUT to the store, then the server checks it.
        with open(big, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        r = teacher.post(
            base + "/ressources/televersement/",
            data={"school": w.school.id, "kind": "document", "title": "Gros direct", "filename": "gros.pdf",
                  "size": size, "sha256": digest},
            headers={"X-CSRFToken": csrf, "Referer": base + "/ressources/proposer/", "Accept": "application/json"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        started = time.monotonic()
        with open(big, "rb") as fh:
            put = requests.put(r.json()["put_url"], data=fh, timeout=600)
        assert put.status_code == 200, put.text
        put_took = time.monotonic() - started
        with PeakRSS(worker) as rss:
            started = time.monotonic()
            done = teacher.post(
                base + r.json()["finish_url"],
                headers={"X-CSRFToken": csrf, "Referer": base + "/ressources/proposer/"},
            )
            took = time.monotonic() - started
        assert done.status_code == 201, done.text
        print(
            f"direct upload: PUT {put_took:.1f} s; server check (stat + SHA-256 stream) {took:.1f} s, "
            f"worker RSS growth {rss.growth_mb:.1f} MB"
        )

        # Approve and assign (the bench skips the scan: mark it offered here).
        from ent.files import ScanState
        from media.models import Version

        item = Item.objects.get(title="Gros")
        Version.objects.filter(item=item).update(scan=ScanState.OFFERED)
        version = item.versions.get()
        actions.do_approve(w.referent, item, version)
        actions.do_assign(w.referent, item, [w.klass], [])

        # 3. Download: authorisation by the server, bytes from the store.
        pupil = session_for(w.pupil)
        url = base + f"/ressources/{item.id}/telecharger/"
        with PeakRSS(worker) as rss:
            started = time.monotonic()
            r = pupil.get(url, allow_redirects=False)
            digest = hashlib.sha256()
            with requests.get(r.headers["Location"], stream=True, timeout=600) as resp:
                for chunk in resp.iter_content(1024 * 1024):
                    digest.update(chunk)
            took = time.monotonic() - started
        assert digest.hexdigest() == version.sha256
        print(f"download: {took:.1f} s, worker RSS growth {rss.growth_mb:.1f} MB")

        samples = []
        for _ in range(300):
            started = time.perf_counter()
            w.pupil.__dict__.pop("roles", None)  # as in a fresh request
            it, v = access.access_download(w.pupil, item.id)
            files.presigned_open(v.key, v.filename, v.content_type, inline=False)
            samples.append(time.perf_counter() - started)
        print(f"download authorisation (access check + presign), in process: p50 {_p50_ms(samples):.2f} ms")
        samples = []
        for _ in range(300):
            started = time.perf_counter()
            assert pupil.get(url, allow_redirects=False).status_code == 302
            samples.append(time.perf_counter() - started)
        print(f"download authorisation, whole HTTP request: p50 {_p50_ms(samples):.2f} ms")

        # 4. Manifest poll with nothing new.
        fleet = Fleet.objects.create(school=w.school, name="Bench")
        _tablet, token = actions.do_enrol_tablet(w.referent, fleet, "T")
        tablet = requests.Session()
        tablet.headers["Authorization"] = f"Bearer {token}"
        first = tablet.get(base + "/ressources/tablette/manifest.json")
        etag = first.headers["ETag"]
        samples = []
        for _ in range(args.polls):
            started = time.perf_counter()
            r = tablet.get(base + "/ressources/tablette/manifest.json", headers={"If-None-Match": etag})
            samples.append(time.perf_counter() - started)
            assert r.status_code == 304
        print(f"manifest poll, nothing new (304): p50 {_p50_ms(samples):.2f} ms over {args.polls} polls")
    finally:
        server.terminate()
        server.wait(10)
        s3.cleanup()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
