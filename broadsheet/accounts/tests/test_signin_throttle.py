"""Wrong-password throttling: attackers get stopped, the owner never gets locked out."""

import pytest
from django.test import Client

from broadsheet.accounts.tests.conftest import PASSWORD, post_login

pytestmark = pytest.mark.django_db


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_100_wrong_passwords_from_one_address_then_owner_signs_in_elsewhere(clock, make_user):
    make_user("victim")
    attacker = Client()
    statuses = [
        post_login(attacker, "victim", f"guess{i}", ip="203.0.113.66").status_code
        for i in range(100)
    ]
    # Five wrong answers for this pair, then 429 before any password is checked.
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}
    # Even the right password is refused to the attacker's address now: no oracle left.
    blocked = post_login(attacker, "victim", PASSWORD, ip="203.0.113.66")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    owner = Client()
    response = post_login(owner, "victim", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert _signed_in(owner)


def test_the_pair_throttle_ends_after_retry_after(clock, make_user):
    make_user("victim")
    c = Client()
    for i in range(5):
        post_login(c, "victim", f"guess{i}", ip="203.0.113.66")
    wait = int(post_login(c, "victim", PASSWORD, ip="203.0.113.66")["Retry-After"])
    clock.now += wait
    assert post_login(c, "victim", PASSWORD, ip="203.0.113.66").status_code == 302


def test_credential_stuffing_over_50_accounts_from_one_address_is_blocked(clock, make_user):
    for i in range(50):
        make_user(f"user{i}")
    bot = Client()
    statuses = [
        post_login(bot, f"user{i}", "Summer2024!", ip="203.0.113.99").status_code for i in range(50)
    ]
    # One try per account never trips the per-pair limit; the per-address limit (20) does.
    assert statuses[:20] == [400] * 20
    assert set(statuses[20:]) == {429}
    # The accounts themselves are fine: their owners sign in from their own addresses.
    assert post_login(Client(), "user42", PASSWORD, ip="198.51.100.42").status_code == 302


def test_attack_spread_over_many_addresses_slows_down_but_never_locks_the_owner(clock, make_user):
    make_user("victim")
    # 40 addresses, one guess each: under every per-address limit.
    statuses = [
        post_login(Client(), "victim", f"g{i}", ip=f"192.0.2.{i + 1}").status_code
        for i in range(40)
    ]
    # Ten wrong passwords are checked; after that every guess must first wait.
    assert statuses[:10] == [400] * 10
    assert set(statuses[10:]) == {429}
    owner = Client()
    first = post_login(owner, "victim", PASSWORD, ip="198.51.100.7")
    # The account is in back-off: the password is not checked yet, the owner is asked to wait.
    assert first.status_code == 429
    wait = int(first["Retry-After"])
    assert 0 < wait <= 30
    ticket = first.context["form"].initial["wait_ticket"]
    # Resubmitting early does not help …
    early = post_login(owner, "victim", PASSWORD, ip="198.51.100.7", wait_ticket=ticket)
    assert early.status_code == 429
    # … but after the wait, with the ticket from the first answer, the right password gets in.
    clock.now += wait
    response = post_login(owner, "victim", PASSWORD, ip="198.51.100.7", wait_ticket=ticket)
    assert response.status_code == 302 and _signed_in(owner)


def test_a_wait_ticket_is_spent_once_and_bound_to_its_username(clock, make_user):
    make_user("victim")
    make_user("other")
    for i in range(12):
        post_login(Client(), "victim", "wrong", ip=f"192.0.2.{i + 1}")
    c = Client()
    ticket = (
        post_login(c, "victim", "wrong", ip="198.51.100.7").context["form"].initial["wait_ticket"]
    )
    clock.now += 30
    # A wrong password with a matured ticket is checked (400) and spends the ticket …
    assert (
        post_login(c, "victim", "still wrong", ip="198.51.100.8", wait_ticket=ticket).status_code
        == 400
    )
    # … so replaying it asks for a wait again.
    assert (
        post_login(c, "victim", PASSWORD, ip="198.51.100.9", wait_ticket=ticket).status_code == 429
    )
    # A forged or foreign ticket counts for nothing.
    assert (
        post_login(c, "victim", PASSWORD, ip="198.51.100.9", wait_ticket="x:y:z").status_code == 429
    )


def test_refused_attempts_do_not_count_as_failures(clock, make_user):
    make_user("victim")
    c = Client()
    for i in range(60):
        post_login(c, "victim", f"guess{i}", ip="203.0.113.66")
    from broadsheet.accounts.throttle import backoff_seconds

    # Only the five checked wrong passwords count towards the account's back-off (threshold 10).
    assert backoff_seconds(username="victim") == 0


def test_flood_from_one_address_gets_429_before_hashing(clock, make_user, monkeypatch):
    make_user("victim")
    checks = []
    from django.contrib.auth.backends import ModelBackend

    real = ModelBackend.authenticate

    def counting(self, *args, **kwargs):
        checks.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    c = Client()
    for i in range(100):
        post_login(c, f"nobody{i % 7}-{i}", "x", ip="203.0.113.5")
    # 20 failures trip the per-address limit; nothing after that is hashed.
    assert len(checks) == 20


def test_username_case_variants_share_counters(clock, make_user):
    make_user("victim")
    c = Client()
    for i, name in enumerate(["victim", "VICTIM", "Victim", "vIcTiM", "victiM"]):
        post_login(c, name, f"guess{i}", ip="203.0.113.66")
    assert post_login(c, "VicTim", "guess", ip="203.0.113.66").status_code == 429


def test_backoff_doubles_with_failures_and_is_capped(clock):
    from broadsheet.accounts.throttle import backoff_seconds, signin_failed

    waits = []
    for i in range(30):
        signin_failed(username="victim", ip=f"192.0.2.{i}")
        waits.append(backoff_seconds(username="victim"))
    assert waits[:9] == [0] * 9
    assert waits[9:14] == [2, 4, 8, 16, 30]
    assert max(waits) == 30
