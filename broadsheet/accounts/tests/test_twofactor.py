"""TOTP two-factor: enrolment, the sign-in step, recovery codes, and staff pages."""

import re

import pyotp
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from broadsheet.accounts import services
from broadsheet.accounts.models import RecoveryCode, TotpDevice
from broadsheet.accounts.tests.conftest import PASSWORD, find, post_login

pytestmark = pytest.mark.django_db


def _enrol(client) -> tuple[str, list[str]]:
    """_enrol turns two-factor on through the pages; returns the secret and recovery codes."""
    body = client.post("/accounts/two-factor/setup/", {"action": "start"}).content.decode()
    secret = find(r'<code class="secret">([A-Z2-7]+)</code>', body)
    assert "otpauth://totp/Broadsheet:" in body.replace("&amp;", "&")
    body = client.post(
        "/accounts/two-factor/setup/", {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    ).content.decode()
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", body)
    assert len(codes) == 10
    return secret, codes


def _code_at(secret: str, steps_ahead: int) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def test_staff_cannot_reach_staff_pages_until_enrolled(make_user):
    staff = make_user("editor", is_staff=True)
    c = Client()
    post_login(c, "editor", PASSWORD)
    for page in ["/staff/panel/", "/queue/"]:
        r = c.get(page)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/two-factor/setup/"), (
            page
        )
    _enrol(c)
    assert c.get("/staff/panel/").status_code == 200
    assert c.get("/queue/").content == b"moderation queue"
    assert TotpDevice.objects.get(user=staff).confirmed_at is not None


def test_moderators_group_needs_two_factor_too(make_user):
    mod = make_user("mod")
    mod.groups.add(Group.objects.create(name="moderators"))
    c = Client()
    post_login(c, "mod", PASSWORD)
    assert c.get("/queue/")["Location"].startswith("/accounts/two-factor/setup/")


def test_readers_get_403_and_strangers_the_sign_in_page(make_user):
    make_user("reader")
    assert Client().get("/staff/panel/")["Location"].startswith("/accounts/login/")
    c = Client()
    post_login(c, "reader", PASSWORD)
    assert c.get("/staff/panel/").status_code == 403


def test_an_old_staff_session_must_pass_the_code_again(make_user):
    staff = make_user("editor", is_staff=True)
    secret, _ = _enrol_directly(staff)
    c = Client()
    c.force_login(staff)  # a session that never passed the second step
    r = c.get("/staff/panel/")
    assert r["Location"].startswith("/accounts/two-factor/")
    # (The current code was spent at enrolment; the next one is inside the ±1 step window.)
    r = c.post("/accounts/two-factor/?next=/staff/panel/", {"code": _code_at(secret, 1)})
    assert r["Location"] == "/staff/panel/"
    assert c.get("/staff/panel/").status_code == 200


def _enrol_directly(user):
    device = services.totp_device_start(user=user)
    codes = services.totp_device_confirm(user=user, code=pyotp.TOTP(device.secret).now())
    return device.secret, codes


def test_sign_in_with_two_factor_asks_for_the_code_before_signing_in(make_user):
    user = make_user("reader")
    secret, _ = _enrol_directly(user)
    c = Client()
    r = post_login(c, "reader", PASSWORD)
    assert r["Location"] == "/accounts/two-factor/"
    assert "_auth_user_id" not in c.session  # the password alone signs nobody in
    assert c.get("/accounts/profile/").status_code == 302
    r = c.post("/accounts/two-factor/", {"code": "000000"})
    assert r.status_code == 200 and "_auth_user_id" not in c.session
    r = c.post("/accounts/two-factor/", {"code": _code_at(secret, 1)})
    assert r.status_code == 302 and c.session["_auth_user_id"] == str(user.pk)


def test_a_code_is_accepted_once(make_user):
    user = make_user("reader")
    secret, _ = _enrol_directly(user)
    code = _code_at(secret, 1)
    assert services.two_factor_check(user=user, code=code)
    assert not services.two_factor_check(user=user, code=code)  # replay
    # Codes older than the last accepted one are replays too.
    assert not services.two_factor_check(user=user, code=_code_at(secret, 0))


def test_recovery_codes_work_once_and_are_stored_hashed(make_user):
    user = make_user("reader")
    _, codes = _enrol_directly(user)
    stored = list(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert all(code.replace("-", "") not in "".join(stored) for code in codes)
    c = Client()
    post_login(c, "reader", PASSWORD)
    r = c.post("/accounts/two-factor/", {"code": codes[3].upper()})
    assert r.status_code == 302 and "_auth_user_id" in c.session
    assert not services.two_factor_check(user=user, code=codes[3])
    assert services.two_factor_check(user=user, code=codes[4].replace("-", ""))


def test_wrong_codes_are_rate_limited(clock, make_user):
    user = make_user("reader")
    secret, _ = _enrol_directly(user)
    c = Client()
    post_login(c, "reader", PASSWORD)
    statuses = [c.post("/accounts/two-factor/", {"code": f"{i:06d}"}).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    # Even the right code waits now: six digits must not be guessable.
    assert c.post("/accounts/two-factor/", {"code": _code_at(secret, 1)}).status_code == 429


def test_a_stale_pending_sign_in_expires(make_user, monkeypatch):
    user = make_user("reader")
    secret, _ = _enrol_directly(user)
    c = Client()
    post_login(c, "reader", PASSWORD)
    from broadsheet.accounts import views

    monkeypatch.setattr(views, "PENDING_MAX_AGE", -1)
    r = c.post("/accounts/two-factor/", {"code": _code_at(secret, 1)})
    assert r["Location"] == "/accounts/login/" and "_auth_user_id" not in c.session


def test_enrolment_wants_a_right_code(make_user):
    user = make_user("reader")
    c = Client()
    c.force_login(user)
    c.post("/accounts/two-factor/setup/", {"action": "start"})
    body = c.post(
        "/accounts/two-factor/setup/", {"action": "confirm", "code": "123456"}
    ).content.decode()
    assert "not right" in body
    assert TotpDevice.objects.get(user=user).confirmed_at is None
    assert not services.totp_enabled(user=user)


def test_readers_may_turn_it_off_staff_may_not(make_user):
    reader = make_user("reader")
    _enrol_directly(reader)
    c = Client()
    c.force_login(reader)
    c.post("/accounts/two-factor/setup/", {"action": "disable", "current_password": "wrong"})
    assert services.totp_enabled(user=reader)
    c.post("/accounts/two-factor/setup/", {"action": "disable", "current_password": PASSWORD})
    assert (
        not services.totp_enabled(user=reader)
        and not RecoveryCode.objects.filter(user=reader).exists()
    )

    staff = make_user("editor", is_staff=True)
    _enrol_directly(staff)
    s = Client()
    s.force_login(staff)
    body = s.post(
        "/accounts/two-factor/setup/", {"action": "disable", "current_password": PASSWORD}
    ).content.decode()
    assert "must keep" in body and services.totp_enabled(user=staff)
