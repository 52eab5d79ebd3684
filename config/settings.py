"""Django settings: everything comes from `config.options`, the one documented list."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from config.options import home_dir, read_all

OPT = read_all()
BASE_DIR = Path(__file__).resolve().parent.parent
HOME = home_dir(OPT["BROADSHEET_HOME"])


def _secret_key() -> str:
    if OPT["SECRET_KEY"]:
        return str(OPT["SECRET_KEY"])
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _database(url: str) -> dict[str, object]:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "broadsheet.sqlite3"),
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
            # so two writers queue on the busy timeout instead of failing with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(HOME / "test.sqlite3")},
            # Kept between requests: opening one (PRAGMAs, reading the schema) cost an API request
            # ~3 ms of its ~5 ms of CPU at 1M articles (bench/api.py).
            "CONN_MAX_AGE": 600,
        }
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        db = _database("")
        # sqlite:////abs/path and sqlite:///rel/path, as dj-database-url reads them.
        path = unquote(parts.path)
        db["NAME"] = path[1:] if path.startswith("//") else path.lstrip("/")
        return db
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


SECRET_KEY = _secret_key()
DEBUG = bool(OPT["DEBUG"])
ALLOWED_HOSTS = list(OPT["ALLOWED_HOSTS"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "broadsheet.core",
    "broadsheet.accounts",
    "broadsheet.ingest",
    "broadsheet.articles",
    "broadsheet.enrich",
    "broadsheet.reading",
    "broadsheet.search",
    "broadsheet.community",
    "broadsheet.images",
    "broadsheet.api",
    "broadsheet.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "broadsheet.web.middleware.SecurityHeadersMiddleware",
    "broadsheet.web.middleware.ExactVaryMiddleware",  # outside Locale/Session: /img/ varies on Accept only
    # /img/ goes straight to its view from here: nothing below has a say in a signed image.
    "broadsheet.images.middleware.ResizerLaneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After Locale (the language is part of the key); a hit skips everything below it, whose
    # headers (CSP, frame options, …) were stored with the page.
    "broadsheet.web.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "broadsheet.core.ratelimit.RateLimitMiddleware",
    "broadsheet.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
            # {% url %} with a memo (same results): reverse() was a tenth of a page's render.
            "builtins": ["broadsheet.core.templatetags.fast_url"],
        },
    }
]

DATABASES = {"default": _database(OPT["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Accounts (OWASP ASVS L2): Argon2id first; older hashes still verify and are upgraded at sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 3600
# Sessions live server-side (database), so signing out ends them for every copy of the cookie.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 14 * 24 * 3600


def _cache(url: str) -> dict[str, object]:
    # Rate limits must be shared by every process and host: never a per-process memory cache.
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url:
        raise ValueError(f"BROADSHEET_CACHE_URL: unsupported scheme in {url!r}")
    return {
        "BACKEND": "broadsheet.core.ratelimit.AtomicDatabaseCache",
        "LOCATION": "broadsheet_cache",
        "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 4},
    }


def _page_cache(url: str, entries: int) -> dict[str, object]:
    # Files under BROADSHEET_HOME: every web process on the machine shares a page rendered by one
    # (a memory cache per process renders each page once per process; measured: half the hits
    # lost with 2 workers), and the OS keeps the hot ones in memory. Redis shares them between hosts.
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url:
        raise ValueError(f"BROADSHEET_PAGE_CACHE_URL: unsupported scheme in {url!r}")
    return {
        "BACKEND": "broadsheet.core.filecache.SparseCullFileCache",
        "LOCATION": str(HOME / "page-cache"),
        "OPTIONS": {"MAX_ENTRIES": entries, "CULL_FREQUENCY": 4},
    }


CACHES = {
    "default": _cache(OPT["BROADSHEET_CACHE_URL"]),
    "pages": _page_cache(OPT["BROADSHEET_PAGE_CACHE_URL"], OPT["BROADSHEET_PAGE_CACHE_ENTRIES"]),
}


def _email(url: str) -> dict[str, object]:
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError(f"BROADSHEET_EMAIL_URL: unsupported scheme {parts.scheme!r}")
    tls = parts.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if tls else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": tls,
        "EMAIL_USE_TLS": not tls,
        "EMAIL_TIMEOUT": 20,
    }


_MAIL = _email(OPT["BROADSHEET_EMAIL_URL"])
EMAIL_BACKEND = _MAIL["EMAIL_BACKEND"]
EMAIL_HOST = _MAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _MAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _MAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _MAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = _MAIL.get("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = _MAIL.get("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = _MAIL.get("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = OPT["BROADSHEET_EMAIL_FROM"]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
TIME_ZONE = OPT["BROADSHEET_TIME_ZONE"]
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# The site's pages load only their own scripts and styles; JSON-LD is a data block, not a script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Production behind an HTTPS proxy (BROADSHEET_SECURE): `manage.py check --deploy` is clean.
if OPT["BROADSHEET_SECURE"]:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "broadsheet": {"handlers": ["console"], "level": "INFO"},
        "django_tasks": {"handlers": ["console"], "level": "WARNING"},
    },
}

# Broadsheet's own settings, read once here so code reads django.conf.settings.
BROADSHEET = {name: value for name, value in OPT.items() if name.startswith("BROADSHEET_")}
BROADSHEET["WEB_CONCURRENCY"] = OPT["WEB_CONCURRENCY"]
