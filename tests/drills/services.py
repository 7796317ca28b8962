"""Real services a drill owns: its own redis-server, PostgreSQL cluster, S3
server, Celery worker and web server, each on free ports, started, stopped and
restarted by PID. The machine's shared PostgreSQL and Redis are never touched.
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser.asgi_server import BIN, ROOT, free_port
from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY, S3Server, _free_port, _weed_binary

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def pg_bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return str(Path(found[-1]).parent) if found else None


def missing_binaries() -> list[str]:
    missing = []
    if not os.path.exists(REDIS_SERVER):
        missing.append("redis-server")
    if pg_bin_dir() is None:
        missing.append("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    return missing


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop_group(proc: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- Redis ------------------------------------------------------------------------------------------


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: self.command("PING") == "PONG", 15, "redis-server to answer")

    def stop(self):
        stop_group(self.proc)
        self.proc = None

    def command(self, *args):
        """One command in the Redis protocol, without a client library: the
        drill's test process must not hold a pool to this server."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                payload = f"*{len(args)}\r\n" + "".join(f"${len(str(a).encode())}\r\n{a}\r\n" for a in args)
                s.sendall(payload.encode())
                reply = s.recv(65536).decode(errors="replace")
        except OSError:
            return None
        if reply[:1] in "+-":
            return reply[1:].strip()
        if reply[:1] == ":":
            return int(reply[1:].strip())
        return reply


# --- PostgreSQL -------------------------------------------------------------------------------------


class PostgresCluster:
    """initdb into a temporary folder, run as the `postgres` OS user (initdb
    refuses root), trust authentication, a socket folder of its own."""

    def __init__(self):
        self.bin = pg_bin_dir()
        self.dir = tempfile.mkdtemp(prefix="ent-drill-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.log = os.path.join(self.dir, "postgres.log")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args, timeout=120):
        return subprocess.run(
            [*self.as_postgres, *args], check=True, capture_output=True, text=True, timeout=timeout, cwd=self.dir
        )

    def init(self):
        self._run(
            f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-N"
        )
        return self

    def start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def url(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, statement, db="postgres"):
        return self._run(
            f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-Atc", statement
        ).stdout.strip()

    def cleanup(self):
        try:
            self.stop("immediate")
        except Exception as exc:  # the cluster may not have started
            print(f"postgres drill cluster stop: {exc}")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- S3 ---------------------------------------------------------------------------------------------


class RestartableS3Server(S3Server):
    """`weed mini` keeping every port and its data folder across a restart, so
    the project's client finds the same server and objects again."""

    def __init__(self):
        super().__init__()
        self.ports = {name: _free_port() for name in ("master", "volume", "filer")}

    def start(self):
        env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY}
        args = [
            _weed_binary(),
            "mini",
            f"-dir={self.dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}",
            f"-master.port={self.ports['master']}",
            f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

        def answers():
            try:
                urllib.request.urlopen(f"http://{self.endpoint}/", timeout=0.5)
            except urllib.error.HTTPError:
                return True
            except OSError:
                assert self.proc.poll() is None, "weed mini exited at start-up"
                return False
            return True

        wait_for(answers, 60, "weed mini to answer", interval=0.2)

    def kill(self):
        """Stop it hard, as a crash would."""
        stop_group(self.proc, signal.SIGKILL)


# --- Django processes -------------------------------------------------------------------------------


def django_env(database_url, redis_url="", **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ent.test_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ENT_TEST_CELERY_EAGER": "false" if redis_url else "true",
        # No night nor quiet hours: a drill runs at any hour.
        "NOTIFY_NIGHT_START_HOUR": "0",
        "NOTIFY_NIGHT_END_HOUR": "0",
    }
    env.pop("ENT_TEST_SQLITE_FILE", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def agent(env, command, *args, timeout=120):
    """Run one command of tests/drills/agent.py in its own process; its JSON answer."""
    done = subprocess.run(
        [str(BIN / "python"), "-m", "tests.drills.agent", command, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"agent {command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Logged:
    """A subprocess with its output in a temporary file."""

    def __init__(self, args, env, name):
        self.args, self.env, self.name = args, env, name
        self.log = Path(tempfile.mkstemp(prefix=f"ent-drill-{name}-", suffix=".log")[1])
        self.proc = None

    def start(self):
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def output(self, tail=3000):
        return self.log.read_text(errors="replace")[-tail:]

    def stop(self, sig=signal.SIGTERM):
        stop_group(self.proc, sig)

    def cleanup(self):
        self.stop()
        self.log.unlink(missing_ok=True)


class CeleryWorker(Logged):
    def __init__(self, env):
        super().__init__(
            [
                str(BIN / "celery"),
                "-A",
                "ent",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"drill-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            env,
            "worker",
        )

    def start(self):
        mark = len(self.log.read_text(errors="replace"))
        super().start()

        def ready():
            assert self.proc.poll() is None, self.output()
            return "ready." in self.log.read_text(errors="replace")[mark:]

        wait_for(ready, 60, "the Celery worker to be ready", interval=0.2)
        return self


class WebServer(Logged):
    """gunicorn (WSGI, sync workers) on ent.wsgi, as in production."""

    def __init__(self, env, workers=2):
        self.port = free_port()
        super().__init__(
            [
                str(BIN / "gunicorn"),
                "ent.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            env,
            "gunicorn",
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        super().start()

        def answers():
            assert self.proc.poll() is None, self.output()
            return port_open(self.port)

        wait_for(answers, 60, "gunicorn to listen", interval=0.2)
        return self
