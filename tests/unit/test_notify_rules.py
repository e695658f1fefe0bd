"""Notifications without a database: which ledger events are announced, which URLs are
called, how requests are signed, when retries fall due."""

from __future__ import annotations

import random
import socket
import ssl
from datetime import UTC, date, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ipx.config import DEFAULT_RETRY_SCHEDULE, webhook_retry_schedule
from ipx.notify.delivery import Claim, Outcome, _next_state, retry_delay, send
from ipx.notify.events import EVENT_TYPES, notification_of, webhook_type
from ipx.notify.signing import new_secret, seal, secret_bytes, sign, unseal
from ipx.notify.urls import WebhookUrlRefused, check_url
from ipx.notify.watch import add_months
from tests.notify_helpers import RawReceiver, Receiver, garbage, self_signed, trickle


@pytest.mark.parametrize(
    ("ledger_type", "data", "expected"),
    [
        ("pledge.registered", {}, "pledge.registered"),
        ("pledge.extended", {}, "pledge.changed"),
        ("pledge.revoked", {}, "pledge.cancelled"),
        ("disposal.sold", {}, "disposal.closed"),
        ("disposal.withdrawn", {}, "disposal.closed"),
        ("asset.changed", {"status": "lapsed"}, "asset.lapsed"),
        ("asset.changed", {"invalidation_pending": True}, "asset.invalidation_pending"),
        ("asset.changed", {"invalidation_pending": False}, None),
        ("asset.changed", {"fees_paid_until": "2030-01-01"}, None),
        ("party.created", {}, None),
        ("valuation.created", {}, None),
        ("application.submitted", {}, None),
    ],
)
def test_ledger_events_map_to_webhook_types(ledger_type, data, expected):
    assert webhook_type(ledger_type, data) == expected
    assert expected is None or expected in EVENT_TYPES


def test_a_notification_keeps_ids_and_public_facts_only():
    refs = {"pledge": 7, "assets": [4, 3], "parties": [1, 2], "disposal": 9}
    note = notification_of("disposal.sold", refs, {"status": "sold"})
    assert note is not None
    assert (note.pledge_id, note.asset_ids) == (7, (3, 4))
    assert note.data == {"disposal_id": 9, "status": "sold"}
    frozen = notification_of("asset.frozen", {"asset": 5, "freeze": 2}, {"frozen": True})
    assert frozen is not None and frozen.asset_ids == (5,) and frozen.pledge_id is None


def test_the_fee_watch_announces_each_due_date_once():
    first = notification_of("asset.fees_overdue", {"asset": 5}, {"fees_paid_until": "2026-01-31"})
    again = notification_of("asset.fees_overdue", {"asset": 5}, {"fees_paid_until": "2026-01-31"})
    later = notification_of("asset.fees_overdue", {"asset": 5}, {"fees_paid_until": "2027-01-31"})
    assert first and again and later
    assert first.dedup_key == again.dedup_key != later.dedup_key


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 6, date(2026, 7, 31)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_the_grace_period_ends_on_the_same_day_months_later(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/",
        "http:///nohost",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://127.0.0.1:8000/",
        "http://u:p@8.8.8.8/",
        "http://8.8.8.8:99999/",
    ],
)
def test_urls_to_private_or_odd_addresses_are_refused(url):
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, allow_loopback=False)
    assert refused.value.code == "webhook-url-not-allowed"


def test_public_addresses_pass_and_loopback_only_when_allowed():
    check_url("https://8.8.8.8/hook", allow_loopback=False)
    check_url("http://[2001:4860:4860::8888]:8443/hook", allow_loopback=False)
    check_url("http://127.0.0.1:8000/hook", allow_loopback=True)
    check_url("http://[::1]:8000/hook", allow_loopback=True)
    with pytest.raises(WebhookUrlRefused):
        check_url("http://10.0.0.1/", allow_loopback=True)  # loopback only, not all private


def test_signatures_verify_with_the_reference_library():
    secret = new_secret()
    assert len(secret_bytes(secret)) == 32
    body = b'{"type":"pledge.registered","data":{"seq":1}}'
    now = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "msg_1", now, body),
    }
    assert Webhook(secret).verify(body, headers)["data"]["seq"] == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_a_sealed_secret_opens_only_for_its_subscription_and_instance_key():
    key, secret = b"k" * 32, new_secret()
    sealed = seal(secret, key, 7)
    assert secret.encode() not in sealed
    assert unseal(sealed, key, 7) == secret
    for other_key, other_id in ((b"x" * 32, 7), (key, 8)):
        with pytest.raises(Exception):  # noqa: B017, PT011 - cryptography's InvalidTag
            unseal(sealed, other_key, other_id)


@pytest.mark.parametrize("bad", ["abc", "whsec_", "whsec_!!!", "whsec_" + "QUJD" * 2])
def test_secrets_must_be_whsec_base64_of_enough_bytes(bad):
    with pytest.raises(ValueError):
        secret_bytes(bad)


def test_the_default_schedule_retries_thrice_in_the_first_minute_then_over_a_day():
    schedule = webhook_retry_schedule(None)
    assert schedule[:3] == (5, 15, 40) and sum(schedule[:3]) <= 60
    assert sum(schedule) >= 24 * 3600 and list(schedule) == sorted(schedule)
    assert schedule == tuple(float(s) for s in DEFAULT_RETRY_SCHEDULE)
    assert webhook_retry_schedule("0.1, 0.2") == (0.1, 0.2)


def test_retries_follow_the_schedule_with_jitter_then_fail():
    now, rng, schedule = datetime(2026, 1, 1, tzinfo=UTC), random.Random(1), (5.0, 15.0)
    failed = Outcome(503, None)
    for attempt, seconds in ((1, 5.0), (2, 15.0)):
        status, values = _next_state(attempt, failed, now, schedule, rng)
        delay = (values["next_attempt_at"] - now).total_seconds()
        assert status == "pending" and seconds <= delay <= seconds * 1.2
    assert _next_state(3, failed, now, schedule, rng)[0] == "failed"
    assert _next_state(3, Outcome(204, None), now, schedule, rng)[0] == "delivered"
    assert _next_state(1, Outcome(302, None), now, schedule, rng)[0] == "pending"
    assert retry_delay(0, rng).total_seconds() == 0


def test_inside_a_transaction_only_the_form_and_literal_addresses_are_checked():
    check_url("https://nonexistent.invalid/hook", allow_loopback=False, resolve=False)
    with pytest.raises(WebhookUrlRefused):
        check_url("http://10.0.0.1/", allow_loopback=False, resolve=False)
    with pytest.raises(WebhookUrlRefused):
        check_url("gopher://hooks.example/", allow_loopback=False, resolve=False)
    with pytest.raises(WebhookUrlRefused):
        check_url("https://nonexistent.invalid/hook", allow_loopback=False)


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:5",  # local-use NAT64
        "::a00:5",  # IPv4-compatible 10.0.0.5
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "2002:808:808::1",  # 6to4, even of a public address
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_ipv6_forms_that_embed_an_ipv4_address_are_refused(address):
    for allow_loopback in (False, True):
        with pytest.raises(WebhookUrlRefused):
            check_url(f"http://[{address}]/hook", allow_loopback=allow_loopback)


def test_nat64_of_a_public_ipv4_address_passes():
    check_url("http://[64:ff9b::808:808]/hook", allow_loopback=False)


def claim_for(url: str) -> Claim:
    return Claim(
        delivery_id=1,
        subscription_id=1,
        token="t",
        attempt=1,
        webhook_id="msg_1",
        url=url,
        secret=new_secret(),
        body=b"{}",
    )


def test_a_claim_does_not_show_its_secret():
    claimed = claim_for("http://127.0.0.1/")
    assert claimed.secret not in repr(claimed)


PUBLIC = "93.184.216.34"


@pytest.fixture
def rebinding(monkeypatch):
    """``hooks.example`` resolves to a public address once, then to loopback; connections to
    anything but loopback are refused (the test must not leave the machine)."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    answers, connected = [PUBLIC], []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "hooks.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def create_connection(address, *args, **kwargs):
        connected.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError("stub: not leaving the machine")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    receiver = Receiver().start()
    yield receiver, connected
    receiver.stop()


def test_the_request_goes_to_the_address_that_was_checked(rebinding):
    receiver, connected = rebinding
    outcome = send(
        claim_for(f"http://hooks.example:{receiver.port}/hook"), timeout=2, allow_loopback=False
    )
    assert outcome.status_code is None and outcome.error
    assert receiver.received == []
    assert "127.0.0.1" not in connected and PUBLIC in connected


def test_a_proxy_in_the_environment_is_not_used(rebinding, monkeypatch):
    receiver, connected = rebinding
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{receiver.port}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{receiver.port}")
    outcome = send(claim_for(f"http://{PUBLIC}/hook"), timeout=2, allow_loopback=False)
    assert outcome.status_code is None
    assert receiver.received == [] and connected == [PUBLIC]


def test_a_receiver_answering_garbage_is_a_failed_attempt():
    server = RawReceiver(garbage).start()
    try:
        outcome = send(claim_for(server.url), timeout=2, allow_loopback=True)
    finally:
        server.stop()
    assert server.requests == 1
    assert outcome.status_code is None and "BadStatusLine" in (outcome.error or "")


def test_a_receiver_trickling_its_answer_runs_out_of_time():
    server = RawReceiver(trickle).start()
    try:
        outcome = send(claim_for(server.url), timeout=0.3, allow_loopback=True)
    finally:
        server.stop()
    assert server.requests == 1
    assert outcome.status_code is None and "timed out" in (outcome.error or "").lower()


def test_over_https_the_pinned_address_still_checks_the_certificate_of_the_host_name(
    monkeypatch, tmp_path
):
    pem = self_signed("hooks.example", tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(pem)
    names: list[str | None] = []
    server_side.sni_callback = lambda sock, name, ctx: names.append(name)
    receiver = Receiver(tls=server_side).start()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = f"https://hooks.example:{receiver.port}/hook"
    try:
        untrusted = send(claim_for(url), timeout=5, allow_loopback=True)
        monkeypatch.setattr(
            ssl, "_create_default_https_context", lambda: ssl.create_default_context(cafile=pem)
        )
        trusted = send(claim_for(url), timeout=5, allow_loopback=True)
    finally:
        receiver.stop()
    assert untrusted.status_code is None and "CERTIFICATE_VERIFY_FAILED" in (untrusted.error or "")
    assert trusted.status_code == 204
    assert names == ["hooks.example", "hooks.example"]
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.example:{receiver.port}"


def test_every_announced_type_may_be_asked_for_and_designs_names_stay():
    # Derived from the ledger-type mapping: a new mapping is a type subscribers may ask for;
    # a type renamed there would change the contract, so the published names are pinned.
    from ipx.notify.events import _BY_LEDGER_TYPE

    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))
    assert set(_BY_LEDGER_TYPE.values()) <= set(EVENT_TYPES)
    assert set(EVENT_TYPES) >= {
        "pledge.registered",
        "pledge.changed",
        "pledge.cancelled",
        "application.refused",
        "application.correction_requested",
        "asset.frozen",
        "asset.freeze_lifted",
        "asset.invalidation_pending",
        "asset.fees_overdue",
        "asset.lapsed",
        "transfer.requested",
        "disposal.opened",
        "disposal.closed",
        "valuation.ltv_breach",
    }


@pytest.mark.parametrize(
    ("day", "enabled", "last_run_on", "today", "due"),
    [
        (11, True, None, date(2026, 12, 10), False),  # its day has not come this month
        (11, True, None, date(2026, 12, 11), True),
        (11, True, None, date(2026, 12, 31), True),  # a worker down on the day catches up
        (11, True, date(2026, 12, 11), date(2026, 12, 31), False),  # once a month
        (11, True, date(2026, 12, 11), date(2027, 1, 10), False),
        (11, True, date(2026, 12, 11), date(2027, 1, 11), True),
        (28, True, date(2026, 1, 28), date(2026, 2, 28), True),
        (1, False, None, date(2026, 12, 31), False),  # disabled
    ],
)
def test_a_banks_schedule_is_due_from_its_day_once_a_month(day, enabled, last_run_on, today, due):
    from ipx.notify.orm import RevaluationSchedule
    from ipx.notify.schedules import is_due

    schedule = RevaluationSchedule(day_of_month=day, enabled=enabled, last_run_on=last_run_on)
    assert is_due(schedule, today) is due
