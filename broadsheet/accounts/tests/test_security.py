"""OWASP ASVS L2 checks for the account pages."""

import importlib

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from broadsheet.accounts.models import TotpDevice
from broadsheet.accounts.tests.conftest import PASSWORD, post_login

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_production_hashes_with_argon2_first():
    production = importlib.import_module("config.settings")
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    Argon2PasswordHasher().salt()  # argon2-cffi is importable, so the hasher really works
    assert Argon2PasswordHasher().encode("x", "saltsaltsalt").startswith("argon2$argon2id$")


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901", "reader-example"])
def test_weak_passwords_are_refused(weak):
    user = User(username="reader-example", email="reader@example.org")
    with pytest.raises(ValidationError):
        validate_password(weak, user=user)


def test_session_id_changes_at_sign_in(make_user):
    make_user("reader")
    c = Client()
    c.get("/accounts/login/")
    session = c.session  # a session the attacker planted before sign-in
    session["planted"] = True
    session.save()
    c.cookies[django_settings.SESSION_COOKIE_NAME] = str(session.session_key)
    fixed = session.session_key
    response = post_login(c, "reader", PASSWORD)
    assert response.status_code == 302
    assert c.cookies[django_settings.SESSION_COOKIE_NAME].value != fixed
    # The planted id is not a signed-in session.
    attacker = Client()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = str(fixed)
    assert attacker.get("/accounts/profile/").status_code == 302


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(make_user):
    make_user("reader")
    c = Client()
    post_login(c, "reader", PASSWORD)
    old = c.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert c.get("/accounts/profile/").status_code == 200
    assert c.post("/accounts/logout/").status_code == 302
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old
    response = replay.get("/accounts/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_sign_out_is_post_only(make_user):
    make_user("reader")
    c = Client()
    post_login(c, "reader", PASSWORD)
    assert c.get("/accounts/logout/").status_code == 405
    assert c.get("/accounts/profile/").status_code == 200  # still signed in


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/signup/", "/accounts/logout/", "/accounts/password-reset/"],
)
def test_posts_without_csrf_token_are_refused(path, make_user):
    make_user("reader")
    c = Client(enforce_csrf_checks=True)
    response = c.post(path, {"username": "reader", "password": PASSWORD, "email": "a@example.org"})
    assert response.status_code == 403


def test_signed_in_forms_need_csrf_too(make_user):
    user = make_user("reader")
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    for path, data in [
        ("/accounts/profile/", {"action": "profile", "display_name": "X", "email": user.email}),
        ("/accounts/profile/reader-password/", {"action": "generate"}),
        (
            "/accounts/profile/delete/",
            {"current_password": PASSWORD, "comments": "remove", "confirm": "on"},
        ),
        ("/accounts/two-factor/setup/", {"action": "start"}),
    ]:
        assert c.post(path, data).status_code == 403, path
    assert User.objects.filter(pk=user.pk).exists()


def test_a_post_with_the_token_works(make_user):
    make_user("reader")
    c = Client(enforce_csrf_checks=True)
    c.get("/accounts/login/")
    token = c.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = c.post(
        "/accounts/login/",
        {"username": "reader", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_get_changes_nothing(make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    for path in [
        "/accounts/profile/delete/?current_password=x&comments=remove&confirm=on",
        "/accounts/profile/reader-password/?action=generate",
        "/accounts/two-factor/setup/?action=start",
    ]:
        assert c.get(path).status_code == 200
    assert User.objects.filter(pk=user.pk).exists()
    assert not hasattr(User.objects.get(pk=user.pk), "reader_api_password")
    assert not TotpDevice.objects.exists()


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example",
        "https://evil.example/accounts/profile/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
        "/%5Cevil.example",
    ],
)
def test_next_never_leaves_the_site(evil, make_user):
    make_user("reader")
    c = Client()
    response = c.post(
        "/accounts/login/?next=x", {"username": "reader", "password": PASSWORD, "next": evil}
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location == "/", location
    c.post("/accounts/login/", {"username": "reader", "password": PASSWORD})
    assert c.post("/accounts/logout/", {"next": evil})["Location"] == "/"


def test_next_to_our_own_page_is_followed(make_user):
    make_user("reader")
    response = Client().post(
        "/accounts/login/", {"username": "reader", "password": PASSWORD, "next": "/stories/3/?a=1"}
    )
    assert response["Location"] == "/stories/3/?a=1"


def test_pages_carry_no_inline_script_or_style(make_user):
    user = make_user("reader")
    c = Client()
    pages = ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]
    for page in pages:
        body = c.get(page).content.decode()
        assert "<script>" not in body and " style=" not in body and "<style" not in body, page
        assert "onclick" not in body
    c.force_login(user)
    for page in [
        "/accounts/profile/",
        "/accounts/two-factor/setup/",
        "/accounts/profile/delete/",
        "/accounts/profile/reader-password/",
    ]:
        body = c.get(page).content.decode()
        assert " style=" not in body and "<style" not in body, page


def test_form_errors_are_linked_to_their_fields():
    c = Client()
    body = c.post(
        "/accounts/signup/", {"username": "", "email": "nope", "password1": "a", "password2": "b"}
    ).content.decode()
    assert 'id="id_email_error"' in body
    assert (
        'aria-describedby="id_email_helptext id_email_error"' in body or 'id_email_error"' in body
    )
    assert 'aria-invalid="true"' in body
    assert '<label for="id_username"' in body


def test_the_site_urlconf_serves_every_named_page(settings, make_user):
    from django.urls import reverse

    settings.ROOT_URLCONF = "config.urls"
    names = [
        "signup",
        "login",
        "logout",
        "password_reset",
        "profile",
        "delete",
        "totp_setup",
        "totp_verify",
        "reader_password",
    ]
    paths = {name: reverse(f"accounts:{name}") for name in names}
    assert paths["login"] == "/accounts/login/"
    c = Client()
    body = c.get(paths["login"]).content.decode()
    assert 'name="csrfmiddlewaretoken"' in body and "accounts/accounts.css" in body
    # The stylesheet that hides the honeypot from people is really served.
    css = b"".join(c.get("/static/accounts/accounts.css").streaming_content)  # type: ignore[attr-defined]
    assert b".hp" in css
    c.force_login(make_user("reader"))
    for name in ["profile", "delete", "totp_setup", "reader_password"]:
        assert c.get(paths[name]).status_code == 200, name


def test_forms_that_ask_for_the_password_again_are_no_guessing_oracle(clock, make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)  # a stolen session
    data = {"current_password": "guess", "comments": "anonymise", "confirm": "on"}
    statuses = [c.post("/accounts/profile/delete/", data).status_code for _ in range(5)]
    assert statuses == [200] * 5
    right = {**data, "current_password": PASSWORD}
    assert c.post("/accounts/profile/delete/", right).status_code == 429
    change = {
        "action": "password",
        "old_password": PASSWORD,
        "new_password1": "x" * 12,
        "new_password2": "x" * 12,
    }
    assert c.post("/accounts/profile/", change).status_code == 429
    assert User.objects.filter(pk=user.pk).exists()
