"""Composition root. Everything a deployment changes comes from the environment:

WHISTLE_DATABASE_URL   postgres://user@host:5432/db  (default: SQLite under var/)
WHISTLE_SECRET_KEY     Django's secret; required outside demo mode (see "Deployment" below)
WHISTLE_HASH_KEY       HMAC key for tokens, phones and re-rate links; required outside demo mode, not the secret key
WHISTLE_DEMO           1 for the demo and the test suite: the public demo keys are allowed
WHISTLE_DEBUG          1 for development
WHISTLE_VAR_DIR        where the SQLite file, uploads and logs live (default: ./var)
WHISTLE_PUBLIC_URL     https://whistle.example.gov.cn, the address people use; links that leave the site start with it
WHISTLE_TRUSTED_PROXIES  comma separated addresses/CIDRs of the reverse proxies whose X-Forwarded-* headers count
WHISTLE_ALLOWED_HOSTS  comma separated (default: the public URL's host and the loopback names)
"""
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("WHISTLE_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("WHISTLE_DEBUG", "") == "1"


# ---- Deployment: demo mode, secrets, public URL, proxies (issue 11) -------------------------------------------------
# Demo mode is explicit: `whistle demo` and the test suite set WHISTLE_DEMO=1; everything else is a real deployment
# and must bring its own keys, because the demo values are public and a hash key equal to them lets anyone reverse
# phone hashes and forge re-rate links.
DEMO = os.environ.get("WHISTLE_DEMO", "") == "1"
DEMO_SECRET_KEY = "whistle-demo-secret-change-me-in-production-0123456789"
KEY_MIN_LENGTH = 50  # Django's own floor for SECRET_KEY (security.W009); `secrets.token_urlsafe(50)` gives 67


def _key_problem(name: str, value: str) -> str | None:
    if not value:
        return f"未设置 {name}（{name} is not set）"
    if value == DEMO_SECRET_KEY:
        return f"{name} 仍是公开的演示值（{name} is the public demo value）"
    if len(value) < KEY_MIN_LENGTH or len(set(value)) < 5:
        return f"{name} 太短，至少 {KEY_MIN_LENGTH} 个随机字符（{name} is shorter than {KEY_MIN_LENGTH} random characters）"
    return None


def _keys() -> tuple[str, str]:
    secret, hash_key = os.environ.get("WHISTLE_SECRET_KEY", ""), os.environ.get("WHISTLE_HASH_KEY", "")
    if DEMO or DEBUG:
        # The demo hashes with the secret key, as it always has: demo databases made before keep their tokens.
        secret = secret or DEMO_SECRET_KEY
        return secret, hash_key or secret
    problems = [p for p in (_key_problem("WHISTLE_SECRET_KEY", secret), _key_problem("WHISTLE_HASH_KEY", hash_key)) if p]
    if not problems and secret == hash_key:
        problems.append("WHISTLE_HASH_KEY 与 WHISTLE_SECRET_KEY 相同，须是两个不同的随机值"
                        "（WHISTLE_HASH_KEY equals WHISTLE_SECRET_KEY: use two different random values）")
    if problems:
        raise ImproperlyConfigured(
            "whistle 拒绝启动：" + "；".join(problems) + "。\n"
            "请在环境文件（见 deploy/whistle.env.example）中设置两个不同的随机密钥，例如 "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'；仅试用演示请设置 WHISTLE_DEMO=1。\n"
            "whistle refuses to start outside demo mode without its own WHISTLE_SECRET_KEY and WHISTLE_HASH_KEY "
            "(set WHISTLE_DEMO=1 only for a demo).")
    return secret, hash_key


SECRET_KEY, _HASH_KEY = _keys()

# The address people reach whistle by. QR cards, re-rate links, Open311's base URL and printed links are built from it
# (whistle.core.links.public_url), never from the request's Host, so a forged Host cannot end up on a printed card.
WHISTLE_PUBLIC_URL = os.environ.get("WHISTLE_PUBLIC_URL", "").strip().rstrip("/")
_public = urlsplit(WHISTLE_PUBLIC_URL)
if WHISTLE_PUBLIC_URL and (_public.scheme not in ("http", "https") or not _public.hostname or _public.path):
    raise ImproperlyConfigured(f"WHISTLE_PUBLIC_URL 应形如 https://whistle.example.gov.cn（不带路径），现为 {WHISTLE_PUBLIC_URL!r}"
                               f"（WHISTLE_PUBLIC_URL must be a scheme and host, like https://whistle.example.gov.cn）")
# Reverse proxies whose X-Forwarded-For/-Proto are believed (granian.utils.proxies in whistle.wsgi); from any other
# peer those headers are ignored. The Host header is the one nginx passes on (`proxy_set_header Host $host`) and
# ALLOWED_HOSTS pins it; X-Forwarded-Host is not read (Django's USE_X_FORWARDED_HOST would believe it from anyone).
WHISTLE_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("WHISTLE_TRUSTED_PROXIES", "").split(",") if p.strip()]

_default_hosts = ([_public.hostname] if _public.hostname else []) + ["127.0.0.1", "localhost"] + (
    [] if WHISTLE_PUBLIC_URL else ["testserver"])
ALLOWED_HOSTS = [h for h in os.environ.get("WHISTLE_ALLOWED_HOSTS", ",".join(_default_hosts)).split(",") if h]
if WHISTLE_PUBLIC_URL:
    CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]
if _public.scheme == "https":
    # Everything below follows from serving people over https; a demo on http://127.0.0.1 keeps plain cookies.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Probes and scrapers on the host talk to granian directly over http.
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("WHISTLE_HSTS_SECONDS", str(365 * 86400)))
    # A whistle host name has no subdomains of its own; the preload directive only acts once the registrable domain
    # is submitted to the browsers' list, which is the domain owner's decision, so on a subdomain it is inert.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# ---- end of deployment block ------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "whistle.core",
    "whistle.org",
    "whistle.enterprises",
    "whistle.cases",
    "whistle.open311",
    "whistle.web",
    "whistle.ratings",
    "whistle.accountability",
    "whistle.patronage",
    "whistle.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # granian serves no static files: the pages' CSS and vendored JS come from here, DEBUG or not.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "whistle.urls"
WSGI_APPLICATION = "whistle.wsgi.application"
ASGI_APPLICATION = "whistle.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# Concurrent test runs on one machine (developers, CI) each take their own test database.
_TEST_SUFFIX = os.environ.get("WHISTLE_TEST_DB_SUFFIX", "")


def _database() -> dict:
    url = os.environ.get("WHISTLE_DATABASE_URL")
    if url:
        # A new PostgreSQL connection per request was measured 10x slower on these machines: keep them.
        db = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
        db["TEST"] = {"NAME": f"test_whistle{_TEST_SUFFIX}"}
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "whistle.sqlite3",
        "OPTIONS": {
            # WAL lets the worker sweep while the web server reads; IMMEDIATE avoids
            # "database is locked" upgrades from read to write inside a transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        },
        "TEST": {"NAME": VAR_DIR / f"test{_TEST_SUFFIX}.sqlite3"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("WHISTLE_FAST_HASHER") == "1":
    # Tests and benchmarks create many users; PBKDF2 at production cost would dominate them.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Serve straight from the apps' static/ folders, so `whistle demo` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start while collectstatic has not made it
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# A case description is at most 4,000 characters; uploads have their own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WHISTLE_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Key for hashing rater phone numbers and API tokens (HMAC); separate from SECRET_KEY so it can be rotated apart
# (checked with SECRET_KEY in the deployment block above).
WHISTLE_HASH_KEY = _HASH_KEY
WHISTLE_WORKER_INTERVAL_SECONDS = int(os.environ.get("WHISTLE_WORKER_INTERVAL_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WHISTLE_LOG_LEVEL", "WARNING")},
    "loggers": {"whistle": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
