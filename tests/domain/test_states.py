"""The state machine, checked over every pair of statuses against the contract's arrows."""

from itertools import product

from kassa.domain.refunds import choose_refund_amount, refundable_amount, status_after_refunds
from kassa.domain.states import PaymentStatus as S
from kassa.domain.states import can_move

CONTRACT_MOVES = {
    (S.PENDING, S.PROCESSING), (S.PROCESSING, S.SUCCEEDED), (S.PENDING, S.SUCCEEDED),
    (S.SUCCEEDED, S.PARTIALLY_REFUNDED), (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED), (S.SUCCEEDED, S.REFUNDED),
    (S.PENDING, S.CANCELLED), (S.PENDING, S.FAILED),
    (S.PROCESSING, S.CANCELLED), (S.PROCESSING, S.FAILED),
}


def test_every_pair_of_statuses_follows_the_contract() -> None:
    for current, target in product(S, S):
        assert can_move(current, target) is ((current, target) in CONTRACT_MOVES), (current, target)


def test_final_statuses_go_nowhere() -> None:
    for final in (S.REFUNDED, S.CANCELLED, S.FAILED):
        assert not any(can_move(final, target) for target in S)


def test_refund_arithmetic() -> None:
    assert refundable_amount(1000, 300, 200) == 500
    assert choose_refund_amount(None, 1000, 300, 200) == 500
    assert status_after_refunds(1000, 0) is S.SUCCEEDED
    assert status_after_refunds(1000, 999) is S.PARTIALLY_REFUNDED
    assert status_after_refunds(1000, 1000) is S.REFUNDED


def test_refund_beyond_what_is_left_is_refused() -> None:
    import pytest

    from kassa.domain.refunds import RefundTooLarge

    with pytest.raises(RefundTooLarge):
        choose_refund_amount(501, 1000, 300, 200)
    with pytest.raises(RefundTooLarge):
        choose_refund_amount(None, 1000, 1000, 0)
