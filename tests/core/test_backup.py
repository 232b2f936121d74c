"""The restore drill (issue 11 item 8): build data, `whistle backup`, `whistle restore` into a fresh database,
the counts match and `whistle audit verify` passes on the restored copy. Real commands, real databases."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.cases.flow import case_in, submit
from whistle.cases import services
from whistle.cases.audit import write_checkpoint
from whistle.cases.models import Case, CaseEvent

# The commands run in other processes, so the data must be committed; the migration data is restored afterwards.
# Sequences reset: on SQLite a case number missing below the first case is a deleted case to `audit verify`, and the
# flush between transactional tests keeps SQLite's id counter.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True)


def _url(name: str | None = None) -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name or db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def whistle(*args, url: str, var: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WHISTLE_DATABASE_URL": url, "WHISTLE_VAR_DIR": str(var)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "whistle"), *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database: on PostgreSQL one created with a unique name (and dropped after), on SQLite a new file."""
    if connection.vendor == "sqlite":
        yield _url(str(tmp_path / "restored.sqlite3"))
        return
    name = f"whistle_restore_{uuid.uuid4().hex[:12]}"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_drill_counts_match_and_audit_verify_passes_on_the_restored_copy(
    heze, tmp_path, settings, fresh_database
):
    source_var, restored_var = tmp_path / "source", tmp_path / "restored"
    settings.MEDIA_ROOT = source_var / "media"
    case = case_in(heze, "accepted")
    services.attachment_add(
        heze.actor("ent_cao"),
        case.number,
        SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff\xe0 photo bytes", "image/jpeg"),
    )
    submit(heze)
    write_checkpoint()
    case_in(heze, "replied")  # after the checkpoint: the restored copy holds chains newer than the checkpoint too

    made = whistle("backup", str(tmp_path / "backup"), url=_url(), var=source_var)
    assert made.returncode == 0, made.stderr
    assert "备份完成" in made.stdout and "密钥" in made.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["cases.Case"] == Case.objects.count() == 3
    assert manifest["counts"]["cases.CaseEvent"] == CaseEvent.objects.count()
    assert manifest["media"]["files"] == 1
    assert settings.WHISTLE_HASH_KEY not in (tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8")

    restored = whistle("restore", str(tmp_path / "backup"), url=fresh_database, var=restored_var)
    assert restored.returncode == 0, restored.stderr
    assert "行数与备份清单一致" in restored.stdout and "3 件工单" in restored.stdout
    files = [p for p in (restored_var / "media").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [b"\xff\xd8\xff\xe0 photo bytes"]

    verified = whistle("audit", "verify", url=fresh_database, var=restored_var)
    assert verified.returncode == 0, verified.stderr
    assert "哈希链完整；3 件工单" in verified.stdout and "1 个检查点" in verified.stdout


def test_restore_refuses_a_database_that_is_not_empty(heze, tmp_path):
    submit(heze)
    assert whistle("backup", str(tmp_path / "backup"), url=_url(), var=tmp_path / "source").returncode == 0
    refused = whistle("restore", str(tmp_path / "backup"), url=_url(), var=tmp_path / "source")
    assert refused.returncode != 0 and "目标数据库不是空的" in refused.stderr


def test_backup_refuses_a_directory_that_is_not_empty(heze, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "something").write_text("x")
    refused = whistle("backup", str(tmp_path / "backup"), url=_url(), var=tmp_path / "source")
    assert refused.returncode != 0 and "已存在且不为空" in refused.stderr
