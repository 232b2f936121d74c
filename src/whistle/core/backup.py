"""`whistle backup` and `whistle restore`: the database, the uploaded files and a manifest of counts, in one directory.

They live in core, not in an app: a backup holds every app's tables and the media of all of them, as `serve` and
`demo` act on the whole platform. The keys (WHISTLE_SECRET_KEY, WHISTLE_HASH_KEY and any retired hash keys) are
never written to a backup: a stolen backup must not carry what forges re-rate links and audit hashes; they are kept
apart (docs/operations.md, "备份与恢复").

    backup/
      database.dump | database.sqlite3   pg_dump -Fc (custom format), or SQLite's online backup of the file
      media/                             MEDIA_ROOT as it was
      manifest.json                      when, which database, rows per table, files with sizes and SHA-256

On PostgreSQL the rows are counted in the snapshot pg_dump dumps (`pg_export_snapshot`), so the counts are those of
the dump even while the platform keeps writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

MANIFEST = "manifest.json"
PG_DUMP, SQLITE_FILE = "database.dump", "database.sqlite3"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese, for the operator."""


def _tables() -> list[tuple[str, str]]:
    """(label, table) of every model the platform stores, whistle's own and Django's (users, sessions …)."""
    return sorted(
        {(m._meta.label, m._meta.db_table) for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    )


def _count(cursor, tables) -> dict[str, int]:
    counts = {}
    for label, table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[label] = cursor.fetchone()[0]
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env() -> dict:
    """libpq's environment for pg_dump and pg_restore: the server whistle is connected to. A URL naming every node of a
    Patroni cluster (`postgres://whistle@/whistle?host=a,b,c&port=5432&target_session_attrs=read-write`,
    docs/operations.md "主备切换") carries its hosts as options; libpq takes the same lists from PGHOST and PGPORT and
    finds the primary again."""
    db = connection.settings_dict
    options = db.get("OPTIONS", {})
    env = {
        **os.environ,
        "PGHOST": str(db["HOST"] or options.get("host") or "127.0.0.1"),
        "PGPORT": str(db["PORT"] or options.get("port") or 5432),
        "PGUSER": str(db["USER"] or ""),
        "PGDATABASE": str(db["NAME"]),
    }
    for option, variable in (
        ("target_session_attrs", "PGTARGETSESSIONATTRS"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _client_major(program: str) -> int:
    if shutil.which(program) is None:
        raise BackupError(
            f"找不到 {program}：请安装与数据库服务器同一大版本的 PostgreSQL 客户端（如 apt-get install postgresql-client-15）"
        )
    out = subprocess.run([program, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None:
        raise BackupError(f"无法识别 {program} 的版本：{out.strip()}")
    return int(found.group(1))


def check_pg_client(program: str) -> tuple[int, int]:
    """(client major, server major); refuses a client older than the server (pg_dump cannot dump a newer server)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0]) // 10000
    client = _client_major(program)
    if client < server:
        raise BackupError(f"{program} 版本为 {client}，低于数据库服务器的 {server}：请安装 postgresql-client-{server}")
    return client, server


def backup(target: Path) -> dict:
    """Write a backup into `target` (a new or empty directory); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 已存在且不为空：请指定一个新目录")
    target.mkdir(parents=True, exist_ok=True)
    tables = _tables()
    if connection.vendor == "postgresql":
        client, server = check_pg_client("pg_dump")
        database: dict[str, Any] = {
            "vendor": "postgresql",
            "server_major": server,
            "pg_dump_major": client,
            "file": PG_DUMP,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count(cursor, tables)
            # The snapshot lives while this transaction does: pg_dump reads exactly what was counted.
            run = subprocess.run(
                [
                    "pg_dump",
                    "-Fc",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(target / PG_DUMP),
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                raise BackupError(f"pg_dump 失败：{run.stderr.strip()}")
    elif connection.vendor == "sqlite":
        database = {"vendor": "sqlite", "file": SQLITE_FILE}
        connection.ensure_connection()
        copy = sqlite3.connect(target / SQLITE_FILE)
        with copy:
            connection.connection.backup(copy)
        # Counted in the copy: the counts are those of the backup, whatever was written meanwhile.
        counts = {label: copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for label, table in tables}
        copy.close()
    else:
        raise BackupError(f"不支持的数据库：{connection.vendor}")
    media = Path(settings.MEDIA_ROOT)
    media_files = []
    if media.is_dir():
        shutil.copytree(media, target / "media")
        media_files = [p for p in (target / "media").rglob("*") if p.is_file()]
    latest = apps.get_model("cases", "AuditCheckpoint").objects.order_by("-pk").values("pk", "signature").first()
    manifest = {
        "format": 1,
        "created_at": timezone.now().isoformat(),
        "database": database,
        "counts": counts,
        "files": {
            database["file"]: {
                "bytes": (target / database["file"]).stat().st_size,
                "sha256": _sha256(target / database["file"]),
            }
        },
        "media": {"files": len(media_files), "bytes": sum(p.stat().st_size for p in media_files)},
        "audit_checkpoint": latest,
        "keys": "不在备份中：WHISTLE_SECRET_KEY、WHISTLE_HASH_KEY（及 WHISTLE_HASH_KEYS_RETIRED）须另行保管，恢复时原样配置",
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 不是 whistle 备份：缺少 {MANIFEST}")
    return json.loads(path.read_text(encoding="utf-8"))


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(source: Path) -> tuple[dict, dict]:
    """Restore a backup into the configured database, which must be new and empty, and its media into MEDIA_ROOT.
    Returns (manifest counts, counts after the restore)."""
    source = Path(source)
    manifest = read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"备份来自 {vendor}，而当前配置的是 {connection.vendor} 数据库")
    dump = source / manifest["database"]["file"]
    expected = manifest["files"][dump.name]
    if _sha256(dump) != expected["sha256"]:
        raise BackupError(f"{dump.name} 与清单中的校验和不符：备份文件损坏或被改动")
    if not _database_is_empty():
        raise BackupError("目标数据库不是空的：请恢复到新建的空数据库（PostgreSQL 先 createdb，SQLite 用新文件）")
    if vendor == "postgresql":
        check_pg_client("pg_restore")
        run = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                str(connection.settings_dict["NAME"]),
                str(dump),
            ],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_restore 失败：{run.stderr.strip()}")
    else:
        name = Path(connection.settings_dict["NAME"])
        connection.close()
        shutil.copyfile(dump, name)
        for suffix in ("-wal", "-shm"):  # an empty database's leftovers would be replayed over the copy
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    if (source / "media").is_dir():
        shutil.copytree(source / "media", settings.MEDIA_ROOT, dirs_exist_ok=True)
    connection.close()
    with connection.cursor() as cursor:
        counts = _count(cursor, [(label, table) for label, table in _tables() if label in manifest["counts"]])
    return manifest["counts"], counts


def utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
