"""Accounts made by the people who come in: through an invitation's link, or by
open sign-up (``SIGNUP_OPEN``). Every field is checked first, the password by
``AUTH_PASSWORD_VALIDATORS``; a refusal names every problem by field."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from ..errors import InvalidInput, NotFound
from ..rules import DISPLAY_NAME_MAX, name_fields
from ..validation import email_problem, text_problem, visible
from .tx import write_transaction

USERNAME_MAX = 150


def account_problems(
    *, username: Any, password: Any, display_name: Any, email: Any = ""
) -> dict[str, list[str]]:
    """Every problem of a new account's fields, by field (empty: it can be made).
    The password goes through ``AUTH_PASSWORD_VALIDATORS``."""
    problems: dict[str, list[str]] = {}
    User = get_user_model()
    texts = {"username": username, "password": password, "display_name": display_name}
    texts["email"] = email
    for field, value in texts.items():
        if not isinstance(value, str):
            problems[field] = ["Give it as text."]
        elif problem := text_problem(value):
            problems[field] = [problem]
    if problems:
        return problems
    if not visible(display_name):
        problems["display_name"] = ["Give the name people will see, with a visible character."]
    elif len(" ".join(display_name.split())) > DISPLAY_NAME_MAX:
        problems["display_name"] = [f"A display name has at most {DISPLAY_NAME_MAX} characters."]
    if not username:
        problems["username"] = ["Choose a username to sign in with."]
    elif len(username) > USERNAME_MAX:
        problems["username"] = [f"A username has at most {USERNAME_MAX} characters."]
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as error:
            problems["username"] = list(error.messages)
        else:
            if User.objects.filter(username__iexact=username).exists():
                problems["username"] = ["That username is taken; choose another."]
    if email and (problem := email_problem(email)):
        problems["email"] = [problem]
    if not password:
        problems["password"] = ["Choose a password."]
    else:
        candidate = User(username=username, email=email, **name_fields(display_name))
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            problems["password"] = list(error.messages)
    return problems


def account_make(*, username: str, password: str, display_name: str, email: str = "") -> Any:
    """A new active account, its fields checked first (a 400 naming every problem).
    Runs in the caller's transaction."""
    email = email.strip(" ") if isinstance(email, str) else email
    problems = account_problems(
        username=username, password=password, display_name=display_name, email=email
    )
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidInput(first, extra=problems)
    return get_user_model().objects.create_user(
        username=username, email=email, password=password, **name_fields(display_name)
    )


@write_transaction
def account_signup(*, username: str, password: str, display_name: str, email: str = "") -> Any:
    """Open self-sign-up (``SIGNUP_OPEN``): an account on no board yet."""
    if not settings.SIGNUP_OPEN:
        raise NotFound("Sign-up is closed here: ask a board's owner for an invitation.")
    return account_make(
        username=username, password=password, display_name=display_name, email=email
    )
