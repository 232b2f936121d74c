"""The production shape on one machine, for the deploy tests: Debian's nginx with TLS in front of `whistle serve`
(granian), outside demo mode, on the test database. Files come from deploy/ as an operator installs them."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
CLIENT_ADDRESS = "127.0.5.7"  # another loopback /24 than the proxy's 127.0.0.1, so the rating network differs too


_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port not handed out before in this run; WHISTLE_TEST_PORTS=18100-18199 keeps a developer's
    runs inside their own range."""
    low, _, high = os.environ.get("WHISTLE_TEST_PORTS", "").partition("-")
    candidates = range(int(low), int(high) + 1) if high else [0] * 20
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port in {os.environ['WHISTLE_TEST_PORTS']}")


def random_key() -> str:
    return secrets.token_urlsafe(50)


def env_file(path: Path = DEPLOY / "whistle.env.example") -> dict[str, str]:
    """KEY=value lines of an environment file, as systemd's EnvironmentFile= reads this one."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


PHONE_KEY = "test-deploy-phone-" + secrets.token_urlsafe(40)


def production_env(**overrides) -> dict[str, str]:
    """The process environment of a deployment: the machine's, less demo mode and any whistle setting of the test
    run, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHISTLE_") or k in ("WHISTLE_FAST_HASHER",)}
    # The browser tests let Django's ORM run inside Playwright's event loop; a deployment never does (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # A deployment's third key (raters' phones, issue 12); a test of its refusal overrides it.
    env["WHISTLE_PHONE_KEY"] = PHONE_KEY
    env.update(overrides)
    return env


def as_installed(name: str, replacements: list[tuple[str, str]]) -> str:
    """deploy/<name> as an operator installs it here: each (old, new) replaced, and a test that fails naming the
    line the file no longer has, so the file and its test change together."""
    text = (DEPLOY / name).read_text()
    for old, new in replacements:
        assert old in text, f"deploy/{name} no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    return text


def login(http: httpx.Client, public_url: str, username: str, password: str) -> None:
    """Sign in through the login form, as a browser does (the form's CSRF token, the Origin header)."""
    page = http.get("/login")
    signed_in = http.post(
        "/login",
        headers={"Origin": public_url},
        data={"csrfmiddlewaretoken": csrf_token(page.text), "username": username, "password": password},
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]


def nginx_binary() -> str:
    found = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise RuntimeError("Debian's nginx is needed here: apt-get install -y nginx (.ci/run installs it)")
    return found


def _wait_for(url: str, process: subprocess.Popen, log: Path, **client) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2, **client)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Stack:
    tmp: Path
    database_url: str
    web_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=random_key)
    hash_key: str = field(default_factory=random_key)
    web: subprocess.Popen | None = None
    nginx: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def cert(self) -> Path:
        return self.tmp / "tls" / "fullchain.pem"

    def env(self) -> dict[str, str]:
        return production_env(
            WHISTLE_DATABASE_URL=self.database_url,
            WHISTLE_SECRET_KEY=self.secret_key,
            WHISTLE_HASH_KEY=self.hash_key,
            WHISTLE_PUBLIC_URL=self.public_url,
            WHISTLE_TRUSTED_PROXIES="127.0.0.1",
            WHISTLE_VAR_DIR=str(self.tmp / "var"),
            **self.extra_env,
        )

    def start(self) -> Stack:
        try:
            self._certificate()
            subprocess.run(
                [BIN / "whistle", "collectstatic", "--noinput", "-v0"], env=self.env(), check=True, timeout=300
            )
            web_log = self.tmp / "web.log"
            self.web = subprocess.Popen(
                [
                    BIN / "whistle",
                    "serve",
                    "--no-worker",
                    "--workers",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.web_port),
                ],
                env=self.env(),
                stdout=web_log.open("w"),
                stderr=subprocess.STDOUT,
            )
            _wait_for(f"http://127.0.0.1:{self.web_port}/healthz", self.web, web_log)
            self.nginx = subprocess.Popen(
                [
                    nginx_binary(),
                    "-p",
                    str(self.tmp),
                    "-c",
                    str(self._nginx_conf()),
                    "-e",
                    str(self.tmp / "nginx-error.log"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=(self.tmp / "nginx.out").open("w"),
            )
            _wait_for(f"{self.public_url}/healthz", self.nginx, self.tmp / "nginx.out", verify=False)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        _stop(self.nginx, signal.SIGQUIT)  # nginx's graceful stop
        _stop(self.web)  # `whistle serve` stops granian on SIGTERM

    def client(self, local_address: str = CLIENT_ADDRESS) -> httpx.Client:
        """An https client of the public address, connecting from `local_address`, trusting the test certificate."""
        transport = httpx.HTTPTransport(
            local_address=local_address, verify=ssl.create_default_context(cafile=str(self.cert))
        )
        return httpx.Client(base_url=self.public_url, transport=transport, timeout=30)

    def _certificate(self) -> None:
        (self.tmp / "tls").mkdir()
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                self.tmp / "tls" / "privkey.pem",
                "-out",
                self.cert,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _nginx_conf(self) -> Path:
        """deploy/nginx/whistle.conf with this machine's names, ports and paths, in a minimal nginx.conf of its own."""
        site = as_installed(
            "nginx/whistle.conf",
            [
                ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
                ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
                ("server 127.0.0.1:8000;", f"server 127.0.0.1:{self.web_port};"),
                ("/etc/letsencrypt/live/whistle.example.gov.cn/", f"{self.tmp}/tls/"),
                ("/var/lib/whistle/static/", f"{self.tmp}/var/static/"),
                ("/var/www/letsencrypt", f"{self.tmp}/acme"),
            ],
        )
        (self.tmp / "whistle-site.conf").write_text(site)
        temp = self.tmp / "nginx-temp"
        temp.mkdir()
        # Run as root (CI), nginx's workers would drop to `nobody`, who cannot enter pytest's private tmp dir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = self.tmp / "nginx.conf"
        conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.tmp}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.tmp}/whistle-site.conf;
}}
""")
        return conf


def database_url(connection) -> str:
    """The test database as WHISTLE_DATABASE_URL, for a server process of its own (as tests/cases/test_commands.py)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


@dataclass
class PgBouncer:
    """Debian's pgbouncer in transaction mode in front of the test's PostgreSQL server, configured from
    deploy/pgbouncer/pgbouncer.ini as an operator installs it (ports, paths and the upstream replaced), with an admin
    console for its counters. pgbouncer will not run as root; as root (CI) it runs as `postgres` from a directory of
    its own that user can write."""

    upstream_host: str
    upstream_port: int
    pool_size: int = 20
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    home: Path | None = None

    def start(self) -> PgBouncer:
        import tempfile

        binary = shutil.which("pgbouncer", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if not binary:
            raise RuntimeError("Debian's pgbouncer is needed here: apt-get install -y pgbouncer (.ci/run installs it)")
        self.home = Path(tempfile.mkdtemp(prefix="whistle-pgbouncer-"))
        ini = as_installed(
            "pgbouncer/pgbouncer.ini",
            [
                ("host=127.0.0.1 port=5432", f"host={self.upstream_host} port={self.upstream_port}"),
                ("listen_port = 6432", f"listen_port = {self.port}"),
                ("/etc/pgbouncer/userlist.txt", f"{self.home}/userlist.txt"),
                ("/var/log/postgresql/pgbouncer.log", f"{self.home}/pgbouncer.log"),
                ("/var/run/postgresql/pgbouncer.pid", f"{self.home}/pgbouncer.pid"),
                ("unix_socket_dir = /var/run/postgresql", f"unix_socket_dir = {self.home}"),
                ("default_pool_size = 20", f"default_pool_size = {self.pool_size}"),
            ],
        )
        # The test server trusts loopback connections; so does this pgbouncer (the deployed file uses scram-sha-256).
        ini = ini.replace("auth_type = scram-sha-256", "auth_type = trust") + "admin_users = postgres\n"
        (self.home / "pgbouncer.ini").write_text(ini)
        (self.home / "userlist.txt").write_text('"postgres" ""\n')
        command = [binary, str(self.home / "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(self.home / "out").open("w"))
        for _ in range(100):
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.process.returncode}: {self.log()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"pgbouncer did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        parts = [self.home / "out", self.home / "pgbouncer.log"] if self.home else []
        return "\n".join(p.read_text()[-3000:] for p in parts if p.exists())

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self, command: str) -> list[dict]:
        """A command on the admin console (`SHOW STATS`, `RECONNECT`), its rows as dicts."""
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url("pgbouncer"), autocommit=True, row_factory=dict_row) as console:
            cursor = console.execute(command)
            return cursor.fetchall() if cursor.description else []

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # pgbouncer's immediate shutdown
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)


def as_postgres(command: list, **kw) -> subprocess.CompletedProcess:
    """A PostgreSQL program as the `postgres` user when run as root (CI), which initdb and the server insist on."""
    user = {"user": "postgres"} if os.geteuid() == 0 else {}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **user, **kw)


@dataclass
class PatroniCluster:
    """Debian's etcd (one member) and `nodes` Patroni nodes of PostgreSQL on this machine, from deploy/patroni/etcd.env
    and deploy/patroni/patroni.yml as an operator installs them (addresses, ports and directories replaced; loopback
    trusted where the deployed file asks for scram-sha-256). As root (CI) everything runs as `postgres` from a
    directory of its own."""

    nodes: int = 3
    strict: bool | None = None  # synchronous_mode_strict, else as the file says
    home: Path | None = None
    etcd: subprocess.Popen | None = None
    patronis: list[subprocess.Popen] = field(default_factory=list)
    pg_ports: list[int] = field(default_factory=list)
    api_ports: list[int] = field(default_factory=list)

    def start(self, timeout: float = 120) -> PatroniCluster:
        import tempfile

        for program in ("patroni", "etcd"):
            if not shutil.which(program):
                raise RuntimeError(
                    f"Debian's {program} is needed here: apt-get install -y patroni etcd-server etcd-client"
                    " (.ci/run installs them)"
                )
        self.home = Path(tempfile.mkdtemp(prefix="whistle-patroni-"))
        user = {"user": "postgres"} if os.geteuid() == 0 else {}
        if user:
            shutil.chown(self.home, "postgres", "postgres")
        try:
            client_port, peer_port = free_port(), free_port()
            etcd_env = self._etcd_env(client_port, peer_port)
            self.etcd = subprocess.Popen(
                ["etcd"], env={**etcd_env, "PATH": os.environ["PATH"]}, stdout=subprocess.DEVNULL,
                stderr=(self.home / "etcd.log").open("w"), **user,
            )  # fmt: skip
            _wait_for(f"http://127.0.0.1:{client_port}/health", self.etcd, self.home / "etcd.log")
            bin_dir = _postgres_bin_dir()
            for node in range(1, self.nodes + 1):
                pg_port, api_port = free_port(), free_port()
                self.pg_ports.append(pg_port)
                self.api_ports.append(api_port)
                conf = self.home / f"db{node}.yml"
                conf.write_text(self._patroni_yml(node, client_port, pg_port, api_port, bin_dir))
                (self.home / f"db{node}").mkdir()
                if user:
                    for path in (conf, self.home / f"db{node}"):
                        shutil.chown(path, "postgres", "postgres")
                self.patronis.append(
                    subprocess.Popen(
                        ["patroni", str(conf)],
                        stdout=subprocess.DEVNULL,
                        stderr=(self.home / f"db{node}.log").open("w"),
                        cwd=self.home,
                        **user,
                    )  # fmt: skip
                )
            self.wait_until_replicated(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _etcd_env(self, client_port: int, peer_port: int) -> dict[str, str]:
        assert self.home
        installed = self.home / "etcd.env"
        installed.write_text(
            as_installed(
                "patroni/etcd.env",
                [
                    (
                        "ETCD_INITIAL_CLUSTER=db1=http://10.0.0.11:2380,db2=http://10.0.0.12:2380,db3=http://10.0.0.13:2380",
                        f"ETCD_INITIAL_CLUSTER=db1=http://127.0.0.1:{peer_port}",
                    ),
                    ("http://10.0.0.11:2379,http://127.0.0.1:2379", f"http://127.0.0.1:{client_port}"),
                    ("http://10.0.0.11:2379", f"http://127.0.0.1:{client_port}"),
                    ("http://10.0.0.11:2380", f"http://127.0.0.1:{peer_port}"),
                    ("/var/lib/etcd/whistle", f"{self.home}/etcd"),
                ],
            )
        )
        return env_file(installed)

    def _patroni_yml(self, node: int, etcd_port: int, pg_port: int, api_port: int, bin_dir: Path) -> str:
        assert self.home
        data = self.home / f"db{node}"
        text = as_installed(
            "patroni/patroni.yml",
            [
                ("name: db1", f"name: db{node}"),
                ("hosts: 10.0.0.11:2379,10.0.0.12:2379,10.0.0.13:2379", f"hosts: 127.0.0.1:{etcd_port}"),
                ("10.0.0.11:8008", f"127.0.0.1:{api_port}"),
                ("10.0.0.11:5432", f"127.0.0.1:{pg_port}"),
                ("/var/lib/postgresql/15/whistle.pgpass", f"{data}/pgpass"),
                ("/var/lib/postgresql/15/whistle", f"{data}/data"),
                ("/usr/lib/postgresql/15/bin", str(bin_dir)),
                ("unix_socket_directories: /var/run/postgresql", f"unix_socket_directories: {data}"),
                ("10.0.0.0/24 scram-sha-256", "127.0.0.1/32 trust"),
                ("127.0.0.1/32 scram-sha-256", "127.0.0.1/32 trust"),
                ("local all postgres peer", "local all all trust"),
            ],
        )
        if self.strict is None:
            return text
        strict = re.sub(r"synchronous_mode_strict: \w+", f"synchronous_mode_strict: {str(self.strict).lower()}", text)
        assert strict != text or f"synchronous_mode_strict: {str(self.strict).lower()}" in text, (
            "no synchronous_mode_strict"
        )
        return strict

    def api(self, node: int, path: str) -> httpx.Response | None:
        """Node `node`'s Patroni REST API (0-based), or None when it does not answer."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.api_ports[node]}{path}", timeout=2)
        except httpx.TransportError:
            return None

    def roles(self) -> list[str]:
        """Each node's answer: primary, sync (the synchronous standby), replica, or down."""
        found = []
        for node in range(self.nodes):
            status = self.api(node, "/patroni")
            data = status.json() if status is not None and status.status_code in (200, 503) else {}
            if data.get("state") != "running":
                found.append("down")
            elif data.get("role") in ("master", "primary"):
                found.append("primary")
            elif (self.api(node, "/sync") or httpx.Response(503)).status_code == 200:
                found.append("sync")
            else:
                found.append("replica")
        return found

    def wait_until_replicated(self, timeout: float = 120, primary_not: int | None = None) -> int:
        """Wait for one primary (not node `primary_not`) with a synchronous standby; its index."""
        deadline = time.monotonic() + timeout
        roles: list[str] = []
        while time.monotonic() < deadline:
            for node, process in enumerate(self.patronis):
                if process.poll() is not None:
                    raise RuntimeError(f"patroni db{node + 1} exited: {self.log(node)}")
            roles = self.roles()
            if roles.count("primary") == 1 and "sync" in roles and roles.index("primary") != primary_not:
                return roles.index("primary")
            time.sleep(0.5)
        raise RuntimeError(f"no primary with a synchronous standby after {timeout} s: {roles}\n{self.log()}")

    def synchronous_mode_strict(self) -> bool:
        assert self.home
        return "synchronous_mode_strict: true" in (self.home / "db1.yml").read_text()

    def postmaster_pid(self, node: int) -> int:
        assert self.home
        return int((self.home / f"db{node + 1}" / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str, user: str = "postgres") -> str:
        """whistle's WHISTLE_DATABASE_URL for the cluster: every node, libpq keeps the one that accepts writes."""
        hosts = ",".join("127.0.0.1" for _ in self.pg_ports)
        ports = ",".join(str(p) for p in self.pg_ports)
        return (
            f"postgres://{user}@/{database}?host={hosts}&port={ports}&target_session_attrs=read-write&connect_timeout=2"
        )

    def log(self, node: int | None = None) -> str:
        if not self.home:
            return ""
        names = [f"db{node + 1}.log"] if node is not None else [f"db{n}.log" for n in range(1, self.nodes + 1)]
        return "\n".join(f"-- {n}\n" + (self.home / n).read_text()[-2000:] for n in names if (self.home / n).exists())

    def stop(self) -> None:
        """Everything at once, nothing kept: Patroni killed first (it would start its PostgreSQL again), then each
        PostgreSQL in immediate mode, then etcd."""
        for process in self.patronis:
            _stop(process, signal.SIGKILL)
        if self.home:
            bin_dir = _postgres_bin_dir()
            for node in range(1, self.nodes + 1):
                data = self.home / f"db{node}" / "data"
                if (data / "postmaster.pid").exists():
                    as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        _stop(self.etcd)
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)


def _postgres_bin_dir() -> Path:
    """The newest PostgreSQL installed (Debian keeps each major version's programs apart)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("PostgreSQL's server programs are needed here (apt-get install -y postgresql)")
    return versions[-1].parent
