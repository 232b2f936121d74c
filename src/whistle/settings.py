"""Composition root. Everything a deployment changes comes from the environment:

WHISTLE_DATABASE_URL   postgres://user@host:5432/db  (default: SQLite under var/)
WHISTLE_DATABASE_POOL  `transaction` when the URL points at pgbouncer in transaction mode (see _database below)
WHISTLE_DATABASE_REPLICA_URLS  streaming replicas for read-only pages, comma separated (see "Read replicas" below)
WHISTLE_SECRET_KEY     Django's secret; required outside demo mode (see "Deployment" below)
WHISTLE_HASH_KEY       HMAC key for tokens, phones and re-rate links; required outside demo mode, not the secret key
WHISTLE_PHONE_KEY      AES-GCM key for raters' phones (the call-back); required outside demo mode, not the other two
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
    problems = [
        p for p in (_key_problem("WHISTLE_SECRET_KEY", secret), _key_problem("WHISTLE_HASH_KEY", hash_key)) if p
    ]
    if not problems and secret == hash_key:
        problems.append(
            "WHISTLE_HASH_KEY 与 WHISTLE_SECRET_KEY 相同，须是两个不同的随机值"
            "（WHISTLE_HASH_KEY equals WHISTLE_SECRET_KEY: use two different random values）"
        )
    if problems:
        raise ImproperlyConfigured(
            "whistle 拒绝启动：" + "；".join(problems) + "。\n"
            "请在环境文件（见 deploy/whistle.env.example）中设置两个不同的随机密钥，例如 "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'；仅试用演示请设置 WHISTLE_DEMO=1。\n"
            "whistle refuses to start outside demo mode without its own WHISTLE_SECRET_KEY and WHISTLE_HASH_KEY "
            "(set WHISTLE_DEMO=1 only for a demo)."
        )
    return secret, hash_key


SECRET_KEY, _HASH_KEY = _keys()

# Raters' phones are kept encrypted for the call-back (notices, issue 12): AES-256-GCM under a key derived from
# WHISTLE_PHONE_KEY, never in the database. Demo mode has its own public value; a deployment must bring its own,
# different from the other two keys (so no one who holds one holds all). A rotation keeps the old key in
# WHISTLE_PHONE_KEYS_RETIRED until `whistle phone_keys rotate` has re-encrypted every phone (docs/operations.md).
DEMO_PHONE_KEY = "whistle-demo-phone-key-change-me-in-production-0123456789"


def _phone_key() -> str:
    value = os.environ.get("WHISTLE_PHONE_KEY", "")
    if DEMO or DEBUG:
        return value or DEMO_PHONE_KEY
    problem = _key_problem("WHISTLE_PHONE_KEY", value)
    if not problem and value == DEMO_PHONE_KEY:
        problem = "WHISTLE_PHONE_KEY 仍是公开的演示值（WHISTLE_PHONE_KEY is the public demo value）"
    if not problem and value in (SECRET_KEY, _HASH_KEY):
        problem = (
            "WHISTLE_PHONE_KEY 与 WHISTLE_SECRET_KEY 或 WHISTLE_HASH_KEY 相同，须是另一个随机值"
            "（WHISTLE_PHONE_KEY equals another key: use a third random value）"
        )
    if problem:
        raise ImproperlyConfigured(
            "whistle 拒绝启动：" + problem + "。\n"
            "请在环境文件（见 deploy/whistle.env.example）中设置 WHISTLE_PHONE_KEY，例如 "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'；仅试用演示请设置 WHISTLE_DEMO=1。\n"
            "whistle refuses to start outside demo mode without its own WHISTLE_PHONE_KEY (set WHISTLE_DEMO=1 only for a demo)."
        )
    return value


WHISTLE_PHONE_KEY = _phone_key()
WHISTLE_PHONE_KEYS_RETIRED = [k for k in os.environ.get("WHISTLE_PHONE_KEYS_RETIRED", "").split(",") if k]

# The address people reach whistle by. QR cards, re-rate links, Open311's base URL and printed links are built from it
# (whistle.core.links.public_url), never from the request's Host, so a forged Host cannot end up on a printed card.
WHISTLE_PUBLIC_URL = os.environ.get("WHISTLE_PUBLIC_URL", "").strip().rstrip("/")
_public = urlsplit(WHISTLE_PUBLIC_URL)
if WHISTLE_PUBLIC_URL and (_public.scheme not in ("http", "https") or not _public.hostname or _public.path):
    raise ImproperlyConfigured(
        f"WHISTLE_PUBLIC_URL 应形如 https://whistle.example.gov.cn（不带路径），现为 {WHISTLE_PUBLIC_URL!r}"
        f"（WHISTLE_PUBLIC_URL must be a scheme and host, like https://whistle.example.gov.cn）"
    )
# Reverse proxies whose X-Forwarded-For/-Proto are believed (granian.utils.proxies in whistle.wsgi); from any other
# peer those headers are ignored. The Host header is the one nginx passes on (`proxy_set_header Host $host`) and
# ALLOWED_HOSTS pins it; X-Forwarded-Host is not read (Django's USE_X_FORWARDED_HOST would believe it from anyone).
WHISTLE_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("WHISTLE_TRUSTED_PROXIES", "").split(",") if p.strip()]

_default_hosts = (
    ([_public.hostname] if _public.hostname else [])
    + ["127.0.0.1", "localhost"]
    + ([] if WHISTLE_PUBLIC_URL else ["testserver"])
)
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
    "whistle.seed",
    "whistle.indicators",
    "whistle.landyield",
    "whistle.notices",
    "whistle.reforms",
    "whistle.leniency",
    "whistle.chains",
]

MIDDLEWARE = [
    # First: the request id and the request's log line and metrics cover everything below, errors included.
    "whistle.core.observability.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # granian serves no static files: the pages' CSS and vendored JS come from here, DEBUG or not.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "whistle.core.replicas.ReplicaReads",  # read-only pages to a replica when there is one (issue 21 item 3)
    "whistle.core.input_guard.InputGuard",  # NUL/surrogates → 400, oversized bodies → 413, unread bodies drained
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
                "whistle.core.wording.context",  # the city's name and the platform's, as data (core_wording)
            ],
        },
    },
]


# Concurrent test runs on one machine (developers, CI) each take their own test database.
_TEST_SUFFIX = os.environ.get("WHISTLE_TEST_DB_SUFFIX", "")


# WAL lets the worker sweep while the web server reads; IMMEDIATE avoids "database is locked" upgrades from read to
# write inside a transaction. The same for the default file and for a sqlite:// WHISTLE_DATABASE_URL (a worker started
# on the test database without them timed out on the test's own writes).
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
    "transaction_mode": "IMMEDIATE",
}


def _database() -> dict:
    url = os.environ.get("WHISTLE_DATABASE_URL")
    if url:
        # A new PostgreSQL connection per request was measured 10x slower on these machines: keep them.
        db = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
        db["TEST"] = {"NAME": f"test_whistle{_TEST_SUFFIX}"}
        if db["ENGINE"] == "django.db.backends.sqlite3":
            db["OPTIONS"] = {**_SQLITE_OPTIONS, **db.get("OPTIONS", {})}
        pool = os.environ.get("WHISTLE_DATABASE_POOL", "")
        if pool == "transaction":
            # Behind pgbouncer's transaction pooling each transaction may run on another server connection, so nothing
            # may outlive one: no server-side cursors (`.iterator()` would DECLARE one WITH HOLD outside a
            # transaction and FETCH from it in the next ones). Prepared statements are off already (Django's default
            # prepare_threshold=None, which the sweeper's and outbox's raw cursors share); advisory locks are
            # transaction-scoped (cases/audit.py); the time zone is a startup parameter pgbouncer keeps per client.
            db["DISABLE_SERVER_SIDE_CURSORS"] = True
        elif not pool and db["ENGINE"] == "django.db.backends.postgresql":
            # Straight to PostgreSQL: values bound on the server and a statement prepared from its fifth run on a
            # connection, so the statements every request sends (who is asking, a case's reading and writing
            # statements) are planned once per connection, not at every request (issue 22: planning the
            # token's seven-table join took 0.85 ms of the 0.92 ms it cost).
            db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
        if pool and pool != "transaction":
            raise ImproperlyConfigured(
                f"WHISTLE_DATABASE_POOL 只能为 transaction 或不设置（got {pool!r}; only 'transaction' is known)"
            )
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "whistle.sqlite3",
        "OPTIONS": dict(_SQLITE_OPTIONS),
        "TEST": {"NAME": VAR_DIR / f"test{_TEST_SUFFIX}.sqlite3"},
    }


DATABASES = {"default": _database()}

# ---- Read replicas (issue 21 item 3; whistle.core.replicas) ---------------------------------------------------------
# Streaming replicas of the primary, comma separated. Read-only pages (cockpit, rankings, the ledger list, Open311
# GETs, reports) read from a replica whose lag is under WHISTLE_REPLICA_MAX_LAG_SECONDS (checked at most every
# WHISTLE_REPLICA_CHECK_SECONDS); a browser that has just sent a write reads the primary for WHISTLE_REPLICA_PIN_SECONDS.
REPLICA_ALIASES: list[str] = []
for _url in (u.strip() for u in os.environ.get("WHISTLE_DATABASE_REPLICA_URLS", "").split(",")):
    if not _url:
        continue
    _alias = "replica" if not REPLICA_ALIASES else f"replica{len(REPLICA_ALIASES) + 1}"
    DATABASES[_alias] = dj_database_url.parse(_url, conn_max_age=600, conn_health_checks=True)
    DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_ALIASES.append(_alias)
if REPLICA_ALIASES and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("WHISTLE_DATABASE_REPLICA_URLS 只用于 PostgreSQL（read replicas need PostgreSQL)")
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("WHISTLE_REPLICA_MAX_LAG_SECONDS", "10"))
REPLICA_CHECK_SECONDS = float(os.environ.get("WHISTLE_REPLICA_CHECK_SECONDS", "5"))
REPLICA_PIN_SECONDS = int(os.environ.get("WHISTLE_REPLICA_PIN_SECONDS", "30"))
if REPLICA_ALIASES:
    DATABASE_ROUTERS = ["whistle.core.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # The published demo password is refused unless settings.DEMO (WHISTLE_DEMO=1).
    {"NAME": "whistle.org.passwords.DemoPasswordValidator"},
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

# ---- shared state of several web hosts: caches and file storage ------------------------------------------------
# Nothing that two web hosts (or a web host and the worker) must both see lives in a local file. Caches: Redis when
# WHISTLE_REDIS_URL is set, else tables in the database (made by `migrate`, see core.apps). Named caches:
#   default  small, short-lived entries
#   topics   the hot topics' word counts per scope and month (grown by the worker, read by every page)
#   pages    the cockpit's computed pages per scope and month (warmed by the worker)
_REDIS_URL = os.environ.get("WHISTLE_REDIS_URL", "")
_CACHE_PREFIX = os.environ.get("WHISTLE_CACHE_PREFIX", "whistle")  # several cities (or test runs) on one Redis
_CACHE_SIZES = {"default": 10_000, "topics": 5_000, "pages": 2_000}


def _cache(name: str) -> dict:
    common = {"KEY_PREFIX": f"{_CACHE_PREFIX}:{name}", "TIMEOUT": 40 * 24 * 3600 if name != "default" else 300}
    if _REDIS_URL:
        # Redis evicts by its own maxmemory policy (docs/operations.md); MAX_ENTRIES does not apply.
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL, **common}
    table = "whistle_cache" if name == "default" else f"whistle_cache_{name}"
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": table,
        "OPTIONS": {"MAX_ENTRIES": _CACHE_SIZES[name]},
        **common,
    }


CACHES = {name: _cache(name) for name in _CACHE_SIZES}

# Uploads (case attachments) and generated files (ledger exports) go through Django's storage API: the local
# file system under WHISTLE_VAR_DIR/media by default (one host, or a shared mount), an S3-compatible bucket when
# WHISTLE_S3_BUCKET is set (django-storages, `pip install 'whistle[s3]'`; docs/operations.md).
_S3_BUCKET = os.environ.get("WHISTLE_S3_BUCKET", "")
if _S3_BUCKET:
    _DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _S3_BUCKET,
            "endpoint_url": os.environ.get("WHISTLE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("WHISTLE_S3_REGION") or None,
            "access_key": os.environ.get("WHISTLE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("WHISTLE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("WHISTLE_S3_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,  # files are served through whistle's scoped views; signed URLs never leak far
            "file_overwrite": False,
        },
    }
else:
    _DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Rows of one worksheet in an .xlsx export before it continues on the next sheet (Excel's limit; tests lower it).
WHISTLE_SHEET_MAX_ROWS = 1_048_576
# ---- end of shared state ---------------------------------------------------------------------------------------

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
# A lost database connection (failover) answers 503 with this Retry-After (core.unavailable).
WHISTLE_DB_RETRY_AFTER_SECONDS = int(os.environ.get("WHISTLE_DB_RETRY_AFTER_SECONDS", "5"))

# ---- audit trail (golive-audit) ----
# Hash keys retired by a rotation, comma-separated: the audit chain's events and checkpoints hashed with them still
# verify (docs/operations.md, "审计链与密钥轮换"). The current key is WHISTLE_HASH_KEY.
WHISTLE_HASH_KEYS_RETIRED = [k for k in os.environ.get("WHISTLE_HASH_KEYS_RETIRED", "").split(",") if k]
# How often the worker writes a signed checkpoint of the chain heads that moved.
WHISTLE_AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("WHISTLE_AUDIT_CHECKPOINT_MINUTES", "10"))
# ---- end audit trail ----


# --- observability (issue 11): JSON logs, request ids, metrics ---------------------------------------------------
# One JSON object per line on stderr (journald or any collector reads it): time, level, logger, message, request_id,
# and a record's own fields (a request's route, status and duration; a job's name, status and duration).
# WHISTLE_LOG_FORMAT=text gives plain lines for a developer's terminal.
_LOG_FORMAT = os.environ.get("WHISTLE_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "whistle.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
            "json_ensure_ascii": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": _LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("WHISTLE_LOG_LEVEL", "WARNING")},
    "loggers": {
        "whistle": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Django logs a 403/404 as a warning, a PermissionDenied with its whole traceback (issue 13 item 20): the
        # request line (whistle.request) already carries every 4xx with its status, so keep only 5xx from here.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# /metrics: a bearer token, or the client's address in these networks (comma-separated CIDRs); otherwise 404.
WHISTLE_METRICS_TOKEN = os.environ.get("WHISTLE_METRICS_TOKEN", "")
WHISTLE_METRICS_ALLOW = [
    c.strip() for c in os.environ.get("WHISTLE_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",") if c.strip()
]
# Counters of the several granian worker processes are added up from files here (prometheus_client's multiprocess
# mode); it must be in the environment before prometheus_client is first imported, which happens after settings.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


# ---- notices (issue 12): the channels' outside systems -----------------------------------------------------------
# E-mail through Django's SMTP backend; no WHISTLE_SMTP_HOST, no e-mail channel.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The notices' own (Django's test runner swaps EMAIL_BACKEND for an in-memory one; notices go to a real server).
WHISTLE_MAIL_BACKEND = os.environ.get("WHISTLE_MAIL_BACKEND", EMAIL_BACKEND)
EMAIL_HOST = os.environ.get("WHISTLE_SMTP_HOST", "")
EMAIL_PORT = int(os.environ.get("WHISTLE_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WHISTLE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WHISTLE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("WHISTLE_SMTP_STARTTLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("WHISTLE_SMTP_SSL", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("WHISTLE_MAIL_FROM", "whistle@localhost")
WHISTLE_MAIL_DOMAIN = DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
# SMS gateway (Aliyun SendSms request shape); no URL, no SMS channel.
WHISTLE_SMS_URL = os.environ.get("WHISTLE_SMS_URL", "")
# The SMS signature the gateway registered (短信签名); unset, the platform's name from the city's wording.
WHISTLE_SMS_SIGN_NAME = os.environ.get("WHISTLE_SMS_SIGN_NAME", "")
WHISTLE_SMS_ACCESS_KEY_ID = os.environ.get("WHISTLE_SMS_ACCESS_KEY_ID", "")
WHISTLE_SMS_ACCESS_KEY_SECRET = os.environ.get("WHISTLE_SMS_ACCESS_KEY_SECRET", "")
WHISTLE_SMS_VERIFY_TEMPLATE = os.environ.get("WHISTLE_SMS_VERIFY_TEMPLATE", "")
# WeChat Official Account (template messages, and the web authorisation that binds an openid); no app id, no channel.
WHISTLE_WECHAT_API = os.environ.get("WHISTLE_WECHAT_API", "https://api.weixin.qq.com").rstrip("/")
WHISTLE_WECHAT_OAUTH = os.environ.get("WHISTLE_WECHAT_OAUTH", "https://open.weixin.qq.com").rstrip("/")
WHISTLE_WECHAT_APPID = os.environ.get("WHISTLE_WECHAT_APPID", "")
WHISTLE_WECHAT_SECRET = os.environ.get("WHISTLE_WECHAT_SECRET", "")
# Privacy-number relay (隐私号, AXB binding) for the call-back; no URL, the whole number is shown instead.
WHISTLE_PRIVACY_RELAY_URL = os.environ.get("WHISTLE_PRIVACY_RELAY_URL", "")
WHISTLE_PRIVACY_RELAY_POOL = os.environ.get("WHISTLE_PRIVACY_RELAY_POOL", "")
WHISTLE_PRIVACY_RELAY_KEY_ID = os.environ.get("WHISTLE_PRIVACY_RELAY_KEY_ID", "")
WHISTLE_PRIVACY_RELAY_KEY_SECRET = os.environ.get("WHISTLE_PRIVACY_RELAY_KEY_SECRET", "")
# ---- end notices ----
