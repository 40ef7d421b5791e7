"""What nobody means, typed into a refund or a credit note: a 4xx that says what is wrong,
what was typed shown again, and nothing written (no refund, note, email or audit event)."""
import html

import pytest

from alma.billing.models import CreditNote, Refund
from tests.billing_desk.helpers import (confirm_credit, confirm_refund, credit_data,
                                        nothing_written, refund_data, review_credit, review_refund)

AMOUNTS = [
    ("150.01", "At most $150 of this payment can be refunded"),  # more than was paid
    ("0", "Enter an amount more than $0."),
    ("0.00", "Enter an amount more than $0."),
    ("0.001", "at most two decimals"),
    ("12.345", "at most two decimals"),
    ("-5", "Enter an amount in dollars, like 25 or 25.50."),
    ("NaN", "Enter an amount in dollars, like 25 or 25.50."),
    ("sNaN", "Enter an amount in dollars, like 25 or 25.50."),
    ("Infinity", "Enter an amount in dollars, like 25 or 25.50."),
    ("1e3", "Enter an amount in dollars, like 25 or 25.50."),
    ("\u0661\u0662", "Enter an amount in dollars, like 25 or 25.50."),  # Arabic-Indic 12
    ("\uff11\uff12", "Enter an amount in dollars, like 25 or 25.50."),  # full-width 12
    ("9" * 40, "Enter an amount in dollars, like 25 or 25.50."),
    ("", "Enter an amount in dollars, like 25 or 25.50."),
    ("\x00", "Enter an amount in dollars, like 25 or 25.50."),  # NUL is cleaned away: empty
]
REASONS = [
    ("", "Say why"),
    ("     ", "Say why"),
    ("\x00\x00", "Say why"),  # NUL bytes are cleaned away, leaving nothing
    ("x" * 5000, "Keep the reason to 255 characters."),
]
STEPS = {"review": review_refund, "confirm": confirm_refund}


def _refused(response, message, typed):
    text = html.unescape(response.get_data(as_text=True))
    assert 400 <= response.status_code < 500, response.status_code
    assert message in text, text[:3000]
    if typed.strip("\x00 "):
        assert f'value="{typed}"' in text  # what was typed, to correct it
    return text


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("amount,message", AMOUNTS, ids=[repr(a)[:14] for a, _ in AMOUNTS])
def test_a_refund_of_an_amount_nobody_means_is_refused(client, world, biller, step, amount,
                                                       message):
    payment = world["payment"]
    data = refund_data(client, payment, amount, "Duplicate session")
    response = STEPS[step](client, payment, data)
    assert response.status_code == 422
    text = _refused(response, message, amount)
    assert 'value="Duplicate session"' in text
    assert nothing_written()


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("reason,message", REASONS, ids=["empty", "spaces", "nul", "5000"])
def test_a_refund_without_a_usable_reason_is_refused(client, world, biller, step, reason,
                                                     message):
    payment = world["payment"]
    response = STEPS[step](client, payment, refund_data(client, payment, "10", reason))
    assert response.status_code == 422
    text = _refused(response, message, "10")
    if len(reason) == 5000:
        assert reason in text  # kept, to be shortened rather than typed again
    assert nothing_written()


def test_a_refund_without_a_choice_of_what_is_owed_after_is_refused(client, world, biller):
    payment = world["payment"]
    for after in (None, "both", "\x00"):
        data = refund_data(client, payment, "10", after=after)
        response = confirm_refund(client, payment, data)
        assert response.status_code == 422
        assert nothing_written()


def test_nul_bytes_in_a_reason_never_reach_the_database(client, world, biller):
    payment = world["payment"]
    data = refund_data(client, payment, "10", "Dupli\x00cate\x00 session")
    assert confirm_refund(client, payment, data).status_code == 303
    assert Refund.get().reason == "Duplicate session"


def test_a_post_without_its_csrf_token_is_refused(client, world, biller):
    payment, fee = world["payment"], world["fee"]
    data = refund_data(client, payment, "10")
    del data["csrf_token"]
    for response in (review_refund(client, payment, data), confirm_refund(client, payment, data),
                     confirm_credit(client, fee, {**data, "csrf_token": "forged"})):
        assert response.status_code == 400
    assert nothing_written()


CREDIT_AMOUNTS = [
    ("125.01", "At most $125 can be credited: what is still due."),
    ("0", "Enter an amount more than $0."),
    ("-1", "Enter an amount in dollars, like 25 or 25.50."),
    ("NaN", "Enter an amount in dollars, like 25 or 25.50."),
    ("\u0663", "Enter an amount in dollars, like 25 or 25.50."),
    ("1.999", "at most two decimals"),
]


@pytest.mark.parametrize("amount,message", CREDIT_AMOUNTS,
                         ids=[repr(a)[:10] for a, _ in CREDIT_AMOUNTS])
def test_a_credit_note_nobody_means_is_refused(client, world, biller, amount, message):
    fee = world["fee"]
    for step in (review_credit, confirm_credit):
        response = step(client, fee, credit_data(client, fee, amount, "Goodwill"))
        assert response.status_code == 422
        _refused(response, message, amount)
    for reason, message in REASONS:
        response = confirm_credit(client, fee, credit_data(client, fee, "10", reason))
        assert response.status_code == 422
        _refused(response, message, "10")
    assert CreditNote.select().count() == 0 and nothing_written()
