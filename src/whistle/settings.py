"""Composition root. Everything a deployment changes comes from the environment:

WHISTLE_DATABASE_URL   postgres://user@host:5432/db  (default: SQLite under var/)
WHISTLE_SECRET_KEY     required when WHISTLE_DEBUG is off in production
WHISTLE_DEBUG          1 for development
WHISTLE_VAR_DIR        where the SQLite file, uploads and logs live (default: ./var)
WHISTLE_ALLOWED_HOSTS  comma separated
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("WHISTLE_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("WHISTLE_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("WHISTLE_SECRET_KEY") or "whistle-demo-secret-change-me-in-production-0123456789"
ALLOWED_HOSTS = [h for h in os.environ.get("WHISTLE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # /api/docs: with ninja installed as an app, Swagger UI (5.31.0, Apache-2.0, shipped in django-ninja's static/)
    # is served from here, not from a CDN a government intranet cannot reach.
    "ninja",
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

# Key for hashing rater phone numbers and API tokens (HMAC); separate from SECRET_KEY so it can be rotated apart.
WHISTLE_HASH_KEY = os.environ.get("WHISTLE_HASH_KEY", SECRET_KEY)
WHISTLE_WORKER_INTERVAL_SECONDS = int(os.environ.get("WHISTLE_WORKER_INTERVAL_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WHISTLE_LOG_LEVEL", "WARNING")},
    "loggers": {"whistle": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
