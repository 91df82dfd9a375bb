"""The server's start-up refusal: with DEBUG off it does not serve on a guessable key.

Called by config.asgi and config.wsgi, the entry points of every server (uvicorn,
daphne, gunicorn, ``manage.py runserver``), so production cannot skip it by leaving
SECRET_KEY unset. Management commands (migrate, shell, seed_demo ...) and the test
suite do not serve and are not refused.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5  # "aaaa…" is long but no secret (the rule of Django's deploy check)


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign sessions in production, or ``None`` when it can."""
    if key == settings.EMBEDDED_SECRET_KEY or key.startswith("django-insecure-"):
        return "SECRET_KEY is the embedded default"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters (at least {SECRET_KEY_MIN_LENGTH})"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        return f"SECRET_KEY has fewer than {SECRET_KEY_MIN_UNIQUE} different characters"
    return None


def refuse_unsafe_defaults() -> None:
    """Raise ImproperlyConfigured when DEBUG is off and the key is not a real one."""
    if settings.DEBUG:
        return
    problem = secret_key_problem(settings.SECRET_KEY)
    if problem:
        raise ImproperlyConfigured(
            f"Refusing to serve with DEBUG off: {problem}. Set SECRET_KEY to a random "
            f"value of at least {SECRET_KEY_MIN_LENGTH} characters (python -c 'import "
            "secrets; print(secrets.token_urlsafe(50))'), or put one in "
            f"{settings.SECRET_KEY_FILE} (on a laptop, `make run` writes it)."
        )
