"""Sign-up, profile, reader-API password, deletion and password reset."""

import hashlib
import sys
import types

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client

from broadsheet.accounts import services
from broadsheet.accounts.models import ReaderApiPassword
from broadsheet.accounts.tests.conftest import PASSWORD, find, post_login

pytestmark = pytest.mark.django_db
User = get_user_model()


def _signup(client, username, ip="198.51.100.1", **extra):
    data = {
        "username": username,
        "email": f"{username}@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post("/accounts/signup/", data, REMOTE_ADDR=ip)


def test_sign_up_makes_an_account_and_signs_in(clock):
    c = Client()
    response = _signup(c, "newreader")
    assert response.status_code == 302
    user = User.objects.get(username="newreader")
    assert user.check_password(PASSWORD) and user.email == "newreader@example.org"
    assert c.session["_auth_user_id"] == str(user.pk)


def test_filled_honeypot_makes_no_account(clock):
    response = _signup(Client(), "spambot", website="http://spam.example")
    assert response.status_code == 302  # looks like success to the bot
    assert not User.objects.filter(username="spambot").exists()


def test_filled_honeypot_on_sign_in_checks_no_password(clock, make_user):
    make_user("reader")
    c = Client()
    response = post_login(c, "reader", PASSWORD, website="x")
    assert response.status_code == 400
    assert "_auth_user_id" not in c.session


def test_sign_up_is_rate_limited_per_address(clock):
    statuses = [_signup(Client(), f"reader{i}", ip="203.0.113.8").status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]
    response = _signup(Client(), "reader9", ip="203.0.113.8")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert User.objects.count() == 5
    # Another address is not affected.
    assert _signup(Client(), "elsewhere", ip="198.51.100.77").status_code == 302


def test_sign_up_tries_are_bounded_too(clock):
    bad = {"password2": "mismatch"}
    statuses = [_signup(Client(), f"r{i}", ip="203.0.113.9", **bad).status_code for i in range(16)]
    assert statuses[:15] == [200] * 15 and statuses[15] == 429


def test_sign_up_refuses_a_taken_email_and_weak_password(clock, make_user):
    make_user("first", email="same@example.org")
    body = (
        Client()
        .post(
            "/accounts/signup/",
            {
                "username": "second",
                "email": "SAME@example.org",
                "password1": "12345678",
                "password2": "12345678",
            },
        )
        .content.decode()
    )
    assert "already exists" in body
    assert "entirely numeric" in body
    assert not User.objects.filter(username="second").exists()


def test_profile_saves_display_name_and_needs_password_for_email(make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    r = c.post(
        "/accounts/profile/", {"action": "profile", "display_name": "Ada", "email": user.email}
    )
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Ada" and user.shown_name == "Ada"
    r = c.post(
        "/accounts/profile/",
        {"action": "profile", "display_name": "Ada", "email": "new@example.org"},
    )
    assert r.status_code == 200
    user.refresh_from_db()
    assert user.email == "reader@example.org"
    c.post(
        "/accounts/profile/",
        {
            "action": "profile",
            "display_name": "Ada",
            "email": "new@example.org",
            "current_password": PASSWORD,
        },
    )
    user.refresh_from_db()
    assert user.email == "new@example.org"


def test_password_change_keeps_this_session_and_ends_others(make_user):
    user = make_user("reader")
    here, elsewhere = Client(), Client()
    post_login(here, "reader", PASSWORD)
    post_login(elsewhere, "reader", PASSWORD, ip="198.51.100.2")
    r = here.post(
        "/accounts/profile/",
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert r.status_code == 302
    assert here.get("/accounts/profile/").status_code == 200
    assert elsewhere.get("/accounts/profile/").status_code == 302
    user.refresh_from_db()
    assert user.check_password("a new long passphrase")


def test_reader_password_is_hashed_with_a_fever_key_and_rotates(make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    body = c.post("/accounts/profile/reader-password/", {"action": "generate"}).content.decode()
    shown = find(r'<code class="secret">([^<]+)</code>', body)
    record = ReaderApiPassword.objects.get(user=user)
    assert shown not in record.password and check_password(shown, record.password)
    assert record.fever_key == hashlib.md5(f"reader:{shown}".encode()).hexdigest()
    # Shown once: a later visit does not show it.
    assert shown not in c.get("/accounts/profile/reader-password/").content.decode()
    c.post("/accounts/profile/reader-password/", {"action": "generate"})
    rotated = ReaderApiPassword.objects.get(user=user)
    assert not check_password(shown, rotated.password) and rotated.fever_key != record.fever_key
    c.post("/accounts/profile/reader-password/", {"action": "revoke"})
    assert not ReaderApiPassword.objects.filter(user=user).exists()


def test_reader_password_service_takes_a_chosen_password(make_user):
    user = make_user("reader")
    record, clear = services.reader_password_set(user=user, password="app secret")
    assert clear == "app secret" and check_password("app secret", record.password)
    assert record.fever_key == hashlib.md5(b"reader:app secret").hexdigest()


def test_delete_needs_the_password_and_confirmation(make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    c.post(
        "/accounts/profile/delete/",
        {"current_password": "wrong", "comments": "remove", "confirm": "on"},
    )
    c.post("/accounts/profile/delete/", {"current_password": PASSWORD, "comments": "remove"})
    assert User.objects.filter(pk=user.pk).exists()
    r = c.post(
        "/accounts/profile/delete/",
        {"current_password": PASSWORD, "comments": "anonymise", "confirm": "on"},
    )
    assert r.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" not in c.session


@pytest.mark.parametrize(("choice", "remove"), [("remove", True), ("anonymise", False)])
def test_delete_hands_the_comment_choice_to_community(choice, remove, make_user, monkeypatch):
    calls = []
    fake = types.ModuleType("broadsheet.community.services")
    hook = lambda *, user, remove: calls.append((user.username, remove))  # noqa: E731
    setattr(fake, "comments_handle_account_deletion", hook)  # noqa: B010
    monkeypatch.setitem(sys.modules, "broadsheet.community.services", fake)
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    c.post(
        "/accounts/profile/delete/",
        {"current_password": PASSWORD, "comments": choice, "confirm": "on"},
    )
    assert calls == [("reader", remove)]
    assert not User.objects.filter(username="reader").exists()


def _reset_link() -> str:
    return find(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[-1].body)


def test_password_reset_mail_link_works_once(settings, clock, make_user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("reader")
    c = Client()
    r = c.post("/accounts/password-reset/", {"email": "READER@example.org"})
    assert r.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.org"]
    link = _reset_link()
    r = c.get(link)  # Django swaps the token for a session-held one and redirects
    assert r.status_code == 302
    r = c.post(
        r["Location"],
        {"new_password1": "a fresh passphrase", "new_password2": "a fresh passphrase"},
    )
    assert r.status_code == 302
    assert post_login(Client(), "reader", "a fresh passphrase").status_code == 302
    # Used once: the same link no longer works.
    again = Client().get(link, follow=True)
    assert b"does not work" in again.content


def test_password_reset_for_an_unknown_address_looks_the_same(settings, clock):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    r = Client().post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert r.status_code == 302 and r["Location"].endswith("/accounts/password-reset/sent/")
    assert mail.outbox == []


def test_password_reset_is_limited_per_address_and_per_account(settings, clock, make_user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("reader")
    statuses = [
        Client()
        .post(
            "/accounts/password-reset/", {"email": "reader@example.org"}, REMOTE_ADDR=f"192.0.2.{i}"
        )
        .status_code
        for i in range(5)
    ]
    # Five addresses, one account: every answer looks the same, but only three mails go out.
    assert statuses == [302] * 5 and len(mail.outbox) == 3
    c = Client()
    codes = [
        c.post(
            "/accounts/password-reset/", {"email": f"x{i}@example.org"}, REMOTE_ADDR="203.0.113.3"
        ).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
