"""Outside demo mode whistle runs only on its own keys, and the documented production environment passes
`whistle check --deploy` without a warning. Each case is a real `whistle` process with a production environment
(no WHISTLE_DEMO, which the test run itself has)."""

import subprocess

import pytest

from tests.deploy.stack import BIN, env_file, production_env, random_key
from whistle.settings import DEMO_SECRET_KEY

pytestmark = pytest.mark.deploy


def whistle(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "whistle", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=production_env(WHISTLE_VAR_DIR=str(tmp_path), **env),
    )


KEY, OTHER = random_key(), random_key()


@pytest.mark.parametrize(
    "keys, named, reason",
    [
        ({}, "WHISTLE_SECRET_KEY", "未设置"),
        ({"WHISTLE_SECRET_KEY": KEY}, "WHISTLE_HASH_KEY", "未设置"),
        ({"WHISTLE_SECRET_KEY": DEMO_SECRET_KEY, "WHISTLE_HASH_KEY": KEY}, "WHISTLE_SECRET_KEY", "演示值"),
        ({"WHISTLE_SECRET_KEY": KEY, "WHISTLE_HASH_KEY": DEMO_SECRET_KEY}, "WHISTLE_HASH_KEY", "演示值"),
        ({"WHISTLE_SECRET_KEY": KEY, "WHISTLE_HASH_KEY": KEY}, "WHISTLE_HASH_KEY", "相同"),
        ({"WHISTLE_SECRET_KEY": KEY, "WHISTLE_HASH_KEY": "short-key"}, "WHISTLE_HASH_KEY", "太短"),
    ],
    ids=["no-keys", "no-hash-key", "demo-secret", "demo-hash-key", "same-keys", "short-hash-key"],
)
def test_outside_demo_mode_whistle_refuses_to_start_without_its_own_keys(tmp_path, keys, named, reason):
    refused = whistle(tmp_path, "check", **keys)
    assert refused.returncode != 0
    assert "whistle 拒绝启动" in refused.stderr and named in refused.stderr and reason in refused.stderr
    assert "refuses to start" in refused.stderr and "Traceback" not in refused.stderr


def test_with_its_own_keys_whistle_starts_outside_demo_mode(tmp_path):
    ok = whistle(tmp_path, "check", WHISTLE_SECRET_KEY=KEY, WHISTLE_HASH_KEY=OTHER)
    assert ok.returncode == 0, ok.stderr


def test_whistle_demo_needs_no_configuration(tmp_path):
    """`whistle demo` puts itself in demo mode: with no keys at all it gets past the settings."""
    demo = whistle(tmp_path, "demo", "--help")
    assert demo.returncode == 0, demo.stderr
    assert "演示" in demo.stdout


def test_check_deploy_is_clean_in_the_documented_production_environment(tmp_path):
    """deploy/whistle.env.example as an operator fills it in (three keys of their own), nothing else."""
    documented = env_file()
    assert documented["WHISTLE_PUBLIC_URL"].startswith("https://") and documented["WHISTLE_TRUSTED_PROXIES"]
    env = {**documented, "WHISTLE_SECRET_KEY": KEY, "WHISTLE_HASH_KEY": OTHER, "WHISTLE_PHONE_KEY": random_key()}
    env.pop("WHISTLE_VAR_DIR")  # /var/lib/whistle of the real host; a private directory here
    checked = whistle(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout
    assert "W0" not in checked.stdout + checked.stderr


def test_a_public_url_with_a_path_is_refused_with_an_example(tmp_path):
    refused = whistle(
        tmp_path,
        "check",
        WHISTLE_SECRET_KEY=KEY,
        WHISTLE_HASH_KEY=OTHER,
        WHISTLE_PUBLIC_URL="whistle.example.gov.cn/app",
    )
    assert refused.returncode != 0
    assert "WHISTLE_PUBLIC_URL 应形如 https://whistle.example.gov.cn" in refused.stderr
