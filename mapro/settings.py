"""Settings come from the environment; defaults give a working embedded (SQLite) setup."""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAPRO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "si", "sí")


def _private_file(path: Path, content: str = "") -> None:
    """Create `path` readable and writable by its owner only (0600), or tighten an existing file
    that other users could read (installations made before this rule)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            try:
                os.chmod(path, 0o600)
            except OSError:
                pass  # not ours to change (a shared, read-only deployment): leave it
        return
    with os.fdopen(fd, "w") as f:
        f.write(content)


def _secret_key() -> str:
    if os.environ.get("MAPRO_SECRET_KEY"):
        return os.environ["MAPRO_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        _private_file(key_file, secrets.token_urlsafe(50))
    _private_file(key_file)
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
    "django_otp",
    "org.otp_devices.SecondFactorDevicesConfig",   # django_otp.plugins.otp_totp
    "org",
    "cases",
    "registers",
    "schedules",
    "documents",
    "api",
    "web",
    "audit",
    "notifications",
    "ops",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mapro.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "org.second_factor.SecondFactorMiddleware",
    "org.middleware.NoStoreForSignedInMiddleware",
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
                "audit.context_processors.navigation",
                "notifications.context_processors.unread",
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
    # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    _db_file = str(DATABASES["default"]["NAME"])
    if _db_file not in ("", ":memory:") and not _db_file.startswith("file:"):
        _private_file(Path(_db_file))
        for _side in (Path(_db_file + "-wal"), Path(_db_file + "-shm")):
            if _side.exists():
                _private_file(_side)
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
elif os.environ.get("MAPRO_TEST_DB_SUFFIX"):
    # Several test runs on one PostgreSQL server (developers' parallel runs): one test database each.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.environ['MAPRO_TEST_DB_SUFFIX']}"}

# Local accounts (admin, demo users, accounts made in the administration) first, then the ministry's
# directory (org/directory.py; does nothing unless MAPRO_LDAP_URL is set). Both refuse a locked
# username before looking at its password (org/signin.py).
AUTHENTICATION_BACKENDS = ["org.backends.DemoAwareBackend", "org.directory.DirectoryBackend"]
# Django's messages for these are translated (LANGUAGE_CODE es-pe); the organisation-name rule is ours.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "org.passwords.OrganisationNameValidator"},
]
# Password guessing (org/signin.py): after this many failed sign-ins for one username within the
# window, that username is refused for the lock time, even with the right password. One address
# gets a larger allowance: many people share the ministry's outgoing address.
MAPRO_SIGNIN_MAX_FAILURES = int(os.environ.get("MAPRO_SIGNIN_MAX_FAILURES", "5"))
MAPRO_SIGNIN_IP_MAX_FAILURES = int(os.environ.get("MAPRO_SIGNIN_IP_MAX_FAILURES", "50"))
MAPRO_SIGNIN_LOCK_MINUTES = int(os.environ.get("MAPRO_SIGNIN_LOCK_MINUTES", "15"))

# Directory login (org/directory.py): ministry staff sign in with their Active Directory account by an
# LDAP bind. Off while MAPRO_LDAP_URL is empty. README «Ingreso con la cuenta del directorio».
MAPRO_LDAP_URL = os.environ.get("MAPRO_LDAP_URL", "")   # ldap://... or ldaps://...; several, space-separated
MAPRO_LDAP_START_TLS = _env_flag("MAPRO_LDAP_START_TLS")
MAPRO_LDAP_CA_FILE = os.environ.get("MAPRO_LDAP_CA_FILE", "")   # the CA that signed the servers' certificates
MAPRO_LDAP_TIMEOUT = float(os.environ.get("MAPRO_LDAP_TIMEOUT", "5"))
# The service account that searches for the person (empty: anonymous search)...
MAPRO_LDAP_BIND_DN = os.environ.get("MAPRO_LDAP_BIND_DN", "")
MAPRO_LDAP_BIND_PASSWORD = os.environ.get("MAPRO_LDAP_BIND_PASSWORD", "")
# ...or, instead of searching, bind directly as `%(user)s@mindef.gob.pe` or `uid=%(user)s,ou=...`.
MAPRO_LDAP_USER_DN_TEMPLATE = os.environ.get("MAPRO_LDAP_USER_DN_TEMPLATE", "")
MAPRO_LDAP_USER_BASE = os.environ.get("MAPRO_LDAP_USER_BASE", "")
MAPRO_LDAP_USER_FILTER = os.environ.get("MAPRO_LDAP_USER_FILTER", "(sAMAccountName=%(user)s)")
# Groups are searched under this base with this filter; empty base: the person's memberOf attribute.
MAPRO_LDAP_GROUP_BASE = os.environ.get("MAPRO_LDAP_GROUP_BASE", "")
MAPRO_LDAP_GROUP_FILTER = os.environ.get("MAPRO_LDAP_GROUP_FILTER", "(member=%(dn)s)")
# Group DN -> role slugs: "DN=rol;DN=rol1,rol2" or a JSON object {"DN": "rol" | ["rol1", "rol2"]}.
MAPRO_LDAP_GROUP_ROLES = os.environ.get("MAPRO_LDAP_GROUP_ROLES", "")
# The person's unit: this attribute's value names a unit by its acronym (or slug), directly or through
# MAPRO_LDAP_UNIT_MAP ("valor=SIGLA;..." or JSON); otherwise MAPRO_LDAP_DEFAULT_UNIT, if set.
MAPRO_LDAP_UNIT_ATTRIBUTE = os.environ.get("MAPRO_LDAP_UNIT_ATTRIBUTE", "department")
MAPRO_LDAP_UNIT_MAP = os.environ.get("MAPRO_LDAP_UNIT_MAP", "")
MAPRO_LDAP_DEFAULT_UNIT = os.environ.get("MAPRO_LDAP_DEFAULT_UNIT", "")

# Second factor (org/second_factor.py): administrators, the chief and the coordinators confirm each
# sign-in with a TOTP code (django-otp), on the web and for API tokens. MAPRO_OTP_REQUIRED=0 turns it
# off (`make demo` does; the test suite does too except in tests/test_second_factor.py).
MAPRO_OTP_REQUIRED = _env_flag("MAPRO_OTP_REQUIRED", True)
OTP_TOTP_ISSUER = "mapro MINDEF"
# Wrong codes count toward the sign-in lock of org/signin.py (5 in 15 minutes), the one rule for
# passwords and codes with its Spanish message; django-otp's own growing delay after each wrong code
# would refuse even the right code for a while, without saying why.
OTP_TOTP_THROTTLE_FACTOR = 0


# Sessions end after this many minutes without a request: each request saves the session with a
# fresh expiry. (Saving only once a minute would spare a write per page but make a page's queries
# vary with the clock; the API, where load matters, uses tokens and no session.)
MAPRO_SESSION_IDLE_MINUTES = int(os.environ.get("MAPRO_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = MAPRO_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# HTTPS in production (MAPRO_HTTPS=1): redirect to HTTPS, Secure cookies, HSTS. With a TLS proxy in
# front (MAPRO_BEHIND_PROXY=1) the proxy's X-Forwarded-Proto says whether the request was HTTPS
# (and its X-Forwarded-For the client's address); set it only if the proxy overwrites both headers.
MAPRO_HTTPS = _env_flag("MAPRO_HTTPS")
MAPRO_BEHIND_PROXY = _env_flag("MAPRO_BEHIND_PROXY")
if MAPRO_HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("MAPRO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("MAPRO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("MAPRO_HSTS_PRELOAD", True)
if MAPRO_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy of every response (mapro/csp.py holds the default: scripts and styles only
# from the site itself, never inline). MAPRO_CSP replaces it whole.
MAPRO_CSP = os.environ.get("MAPRO_CSP", "")
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
# ... by the case's priority (a ticket's priority sets its case's): "high=1,low=5"; medium is the above.
MAPRO_TASK_DUE_DAYS_BY_PRIORITY = {
    key.strip(): int(value) for key, _, value in
    (item.partition("=") for item in os.environ.get("MAPRO_TASK_DUE_DAYS_BY_PRIORITY", "high=1,low=5").split(",") if item.strip())
}
# Office hours of the business calendar (SLA times, task due dates in business days): schedules/office_calendar.py
MAPRO_OFFICE_HOURS = os.environ.get("MAPRO_OFFICE_HOURS", "mon-fri 08:30-13:00,14:00-16:30")
MAPRO_SLA_WARNING_FRACTION = float(os.environ.get("MAPRO_SLA_WARNING_FRACTION", "0.8"))
MAPRO_CATALOG_DIR = Path(os.environ.get("MAPRO_CATALOG_DIR", BASE_DIR / "catalog"))
API_TOKEN_TTL_HOURS = int(os.environ.get("MAPRO_API_TOKEN_TTL_HOURS", "12"))
# Live API tokens per user; issuing one more revokes the oldest.
MAPRO_API_TOKENS_PER_USER = int(os.environ.get("MAPRO_API_TOKENS_PER_USER", "10"))

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

# Documents: signatures and SISTRADOC (documents/signing.py, documents/sistradoc.py; README «Firma
# digital con Firma Perú» and «Envío vía SISTRADOC»).
# MAPRO_SIGNER: "firmaperu" (the signer's computer signs; the signed PDF is uploaded and verified) or
# "local-test" (the server signs with a local test CA whose root is then trusted: tests and demo only).
MAPRO_SIGNER = os.environ.get("MAPRO_SIGNER") or ("local-test" if DEMO_MODE else "firmaperu")
# PEM files of the trusted root CAs (the Peruvian PKI: ECERNEP's root and RENIEC's CAs), separated
# by commas or the OS path separator. A signature chaining to none of them is refused.
MAPRO_SIGNATURE_TRUST_ROOTS = [p.strip() for p in os.environ.get("MAPRO_SIGNATURE_TRUST_ROOTS", "")
                               .replace(",", os.pathsep).split(os.pathsep) if p.strip()]
# Revocation checks of the signer's certificate: soft-fail (default), hard-fail or require; fetching
# CRLs/OCSP over the network only with MAPRO_SIGNATURE_FETCH_REVOCATION=1.
MAPRO_SIGNATURE_REVOCATION_MODE = os.environ.get("MAPRO_SIGNATURE_REVOCATION_MODE", "soft-fail")
MAPRO_SIGNATURE_FETCH_REVOCATION = _env_flag("MAPRO_SIGNATURE_FETCH_REVOCATION")
# Where the local test signer keeps its test CA and certificates.
MAPRO_TEST_SIGNER_DIR = Path(os.environ.get("MAPRO_TEST_SIGNER_DIR", VAR_DIR / "test_signer"))
# SISTRADOC: empty URL keeps the register only; otherwise documents are posted there as JSON.
MAPRO_SISTRADOC_URL = os.environ.get("MAPRO_SISTRADOC_URL", "")
MAPRO_SISTRADOC_TOKEN = os.environ.get("MAPRO_SISTRADOC_TOKEN", "")
MAPRO_SISTRADOC_TIMEOUT = float(os.environ.get("MAPRO_SISTRADOC_TIMEOUT", "15"))
# The year's official name printed under the header of documents (e.g. «Año de ...»); empty: none.
MAPRO_YEAR_NAME = os.environ.get("MAPRO_YEAR_NAME", "")

# Notifications by e-mail (notifications/): written to an outbox with the change, sent by `mapro worker`.
# MAPRO_EMAIL_URL: smtp://user:password@host:port (?starttls=1 for STARTTLS), smtps://... for TLS;
# empty: mail waits in the outbox. MAPRO_BASE_URL makes the links in the e-mails absolute.
MAPRO_EMAIL_URL = os.environ.get("MAPRO_EMAIL_URL", "")
MAPRO_EMAIL_FROM = os.environ.get("MAPRO_EMAIL_FROM", "mapro OGTIE <mapro@localhost>")
MAPRO_EMAIL_TIMEOUT = float(os.environ.get("MAPRO_EMAIL_TIMEOUT", "10"))
MAPRO_EMAIL_MAX_ATTEMPTS = int(os.environ.get("MAPRO_EMAIL_MAX_ATTEMPTS", "8"))
MAPRO_BASE_URL = os.environ.get("MAPRO_BASE_URL", "http://127.0.0.1:8000")
MAPRO_DIGEST_HOUR = int(os.environ.get("MAPRO_DIGEST_HOUR", "7"))   # Lima time of the daily digest
