"""Settings come from the environment; defaults give a working embedded (SQLite) setup."""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAPRO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "si", "sí")


def _secret_key() -> str:
    if os.environ.get("MAPRO_SECRET_KEY"):
        return os.environ["MAPRO_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("MAPRO_DEBUG")
ALLOWED_HOSTS = os.environ.get("MAPRO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("MAPRO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Demo users (username = role slug) may log in only while demo mode is on.
DEMO_MODE = _env_flag("MAPRO_DEMO")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "org",
    "cases",
    "schedules",
    "documents",
    "api",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mapro.urls"
WSGI_APPLICATION = "mapro.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'mapro.sqlite3'}",
        # Reuse server connections between requests (PostgreSQL connects cost milliseconds).
        conn_max_age=int(os.environ.get("MAPRO_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing: BEGIN IMMEDIATE takes the write lock up front.
    # WAL lets the inbox read while a task is being completed; synchronous=NORMAL is safe with
    # WAL (no corruption on power loss, at worst the last commits are lost) and drops the fsync
    # from every commit, which otherwise dominates a task completion.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not shared-cache memory: there concurrent writers fail at once instead of waiting.
    # One file per test process, so parallel runs never share (and delete) each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

AUTHENTICATION_BACKENDS = ["org.backends.DemoAwareBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)")]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["mapro.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Days a task may stay open before it counts as overdue, unless its activity says otherwise.
MAPRO_TASK_DUE_DAYS = int(os.environ.get("MAPRO_TASK_DUE_DAYS", "3"))
MAPRO_CATALOG_DIR = Path(os.environ.get("MAPRO_CATALOG_DIR", BASE_DIR / "catalog"))
API_TOKEN_TTL_HOURS = int(os.environ.get("MAPRO_API_TOKEN_TTL_HOURS", "12"))

# Uploaded files (case attachments) are kept outside the web root and served only by a view that
# checks access first. MAPRO_ATTACHMENTS_S3_BUCKET switches to an S3-compatible store.
MAPRO_ATTACHMENTS_DIR = Path(os.environ.get("MAPRO_ATTACHMENTS_DIR", VAR_DIR / "attachments"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MAPRO_ATTACHMENTS_DIR)}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(MAPRO_ATTACHMENTS_DIR), "base_url": None}},
}
if os.environ.get("MAPRO_ATTACHMENTS_S3_BUCKET"):
    # An S3-compatible object store (AWS S3, MinIO, Ceph...) through django-storages, installed
    # with the optional extra: pip install "mapro[s3]". Objects stay private: files are still
    # served only by the access-checked view, never by a link to the bucket.
    _s3 = {
        "bucket_name": os.environ["MAPRO_ATTACHMENTS_S3_BUCKET"],
        "endpoint_url": os.environ.get("MAPRO_ATTACHMENTS_S3_ENDPOINT"),
        "region_name": os.environ.get("MAPRO_ATTACHMENTS_S3_REGION"),
        "access_key": os.environ.get("MAPRO_ATTACHMENTS_S3_ACCESS_KEY"),
        "secret_key": os.environ.get("MAPRO_ATTACHMENTS_S3_SECRET_KEY"),
        "location": os.environ.get("MAPRO_ATTACHMENTS_S3_PREFIX", "mapro"),
    }
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**{k: v for k, v in _s3.items() if v}, "default_acl": "private", "file_overwrite": False,
                    "querystring_auth": True},
    }

# Largest attachment accepted, in megabytes (decimals allowed).
MAPRO_ATTACHMENT_MAX_MB = float(os.environ.get("MAPRO_ATTACHMENT_MAX_MB", "20"))
