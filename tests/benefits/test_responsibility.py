"""What the client pays for a visit: exact cases, then properties over any benefits."""
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from alma.benefits.responsibility import HIGH, LOW, MEDIUM, Terms, certainty, share

cents = st.integers(min_value=0, max_value=500_000)
maybe_cents = st.none() | st.integers(min_value=-1_000, max_value=500_000)
terms = st.builds(Terms, copay_cents=maybe_cents,
                  coinsurance_bp=st.none() | st.integers(min_value=0, max_value=10_000),
                  deductible_remaining_cents=maybe_cents, oop_remaining_cents=maybe_cents)


def test_a_copay_plan_with_the_deductible_met_pays_the_copay():
    got = share(12_500, Terms(copay_cents=2_500, deductible_remaining_cents=0,
                              oop_remaining_cents=210_000))
    assert (got.deductible_cents, got.copay_cents, got.coinsurance_cents) == (0, 2_500, 0)
    assert got.insurer_cents == 10_000


def test_the_deductible_comes_first_then_coinsurance_on_what_is_left():
    got = share(12_500, Terms(coinsurance_bp=2_000, deductible_remaining_cents=10_000))
    assert got.deductible_cents == 10_000
    assert got.coinsurance_cents == 500  # 20% of the remaining $25
    assert got.total_cents == 10_500


def test_a_deductible_larger_than_the_visit_takes_the_whole_allowed_amount():
    got = share(12_500, Terms(coinsurance_bp=2_000, deductible_remaining_cents=120_000))
    assert got.total_cents == 12_500 and got.coinsurance_cents == 0


def test_coinsurance_rounds_to_the_nearest_cent():
    assert share(12_345, Terms(coinsurance_bp=2_000)).coinsurance_cents == 2_469  # 2469.0
    assert share(12_347, Terms(coinsurance_bp=2_500)).coinsurance_cents == 3_087  # 3086.75


def test_the_out_of_pocket_maximum_caps_the_total():
    got = share(12_500, Terms(coinsurance_bp=2_000, deductible_remaining_cents=10_000,
                              oop_remaining_cents=10_200))
    assert got.total_cents == 10_200
    assert (got.deductible_cents, got.coinsurance_cents) == (10_000, 200)
    assert share(12_500, Terms(copay_cents=2_500, oop_remaining_cents=0)).total_cents == 0


def test_a_copay_plan_answered_with_zero_coinsurance_pays_the_copay():
    got = share(12_500, Terms(copay_cents=2_500, coinsurance_bp=0, deductible_remaining_cents=0))
    assert (got.copay_cents, got.coinsurance_cents) == (2_500, 0)


def test_with_both_a_copay_and_coinsurance_the_larger_is_charged():
    assert share(12_500, Terms(copay_cents=2_000, coinsurance_bp=2_000)).coinsurance_cents \
        == 2_500
    assert share(12_500, Terms(copay_cents=3_000, coinsurance_bp=2_000)).copay_cents == 3_000


def test_a_copay_is_never_more_than_the_allowed_amount():
    assert share(4_800, Terms(copay_cents=6_000)).copay_cents == 4_800


def test_no_benefit_amounts_means_nothing_beyond_the_deductible():
    assert share(12_500, Terms()).total_cents == 0


@given(cents, terms)
def test_never_negative_and_never_above_the_allowed_amount(allowed, t):
    got = share(allowed, t)
    assert 0 <= got.total_cents <= allowed
    assert min(got.deductible_cents, got.coinsurance_cents, got.copay_cents) >= 0
    assert got.insurer_cents >= 0


@given(cents, terms)
def test_never_above_the_out_of_pocket_left(allowed, t):
    if t.oop_remaining_cents is not None:
        assert share(allowed, t).total_cents <= max(0, t.oop_remaining_cents)


@given(cents, terms)
def test_the_deductible_part_is_at_most_what_is_left_of_it(allowed, t):
    assert share(allowed, t).deductible_cents <= max(0, t.deductible_remaining_cents or 0)


@given(cents, terms)
def test_copay_and_coinsurance_never_both_apply(allowed, t):
    got = share(allowed, t)
    assert got.copay_cents == 0 or got.coinsurance_cents == 0


@given(st.integers(min_value=0, max_value=500_000), cents, terms)
def test_a_dearer_visit_never_costs_the_client_less(a, b, t):
    low, high = sorted((a, b))
    assert share(low, t).total_cents <= share(high, t).total_cents


def _check(**values):
    base = dict(gateway="sandbox", network="Y", copay_cents=2_500, coinsurance_bp=None,
                deductible_remaining_cents=0, carved_out_from=None, carve_out_name=None)
    return SimpleNamespace(**{**base, **values})


def test_certainty_is_high_only_with_in_network_amounts_and_the_deductible_met():
    assert certainty(_check()).level == HIGH
    assert certainty(_check(deductible_remaining_cents=120_000)).level == MEDIUM
    assert certainty(_check(network="U")).level == LOW
    assert certainty(_check(copay_cents=None)).level == LOW
    assert certainty(_check(gateway="self_reported")).level == LOW
    reasons = " ".join(certainty(_check(deductible_remaining_cents=5_000)).reasons)
    assert "waive the deductible" in reasons and "higher amount" in reasons
