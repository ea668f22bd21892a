"""Every day of service is backed by money received: random histories searched for a
customer who ends up with more than they paid for.

A Hypothesis state machine plays one customer of one tariff group at a time: trials,
purchases with and without promo codes, changes of tariff, renewals paid or failed,
full and partial refunds, cancels and time passing. kassa runs for real (its services over
a database of the test's own, payments moved only through `apply_update`, the billing job's
own steps); the test keeps its own model of what was paid, in exact fractions, and after
every step checks kassa against it:

- time held is never worth more than the money that bought it (kassa's end of service is
  never later than what the model's money buys), and never less (a refund takes back
  exactly its payment's value, nothing funded by another payment);
- a trial lasts at most `trial_days`, once per group;
- no discount outside its code's tariffs, dates and limits, at purchase or renewal;
- a change across currencies with paid time left is refused, never silently lost.

`KASSA_PROPERTY_EXAMPLES` histories run per database (500 in `make test`, derandomised;
`make property` runs 5 000).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from kassa.core.context import Actor
from kassa.core.security import Principal, Role
from kassa.core.settings import Settings
from kassa.db.migrate import upgrade_async
from kassa.db.models import Payment, Subscription, Tariff, new_id
from kassa.db.session_info import billing_policy
from kassa.domain.errors import InvalidState, KassaError, ValidationFailed
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.runtime import Runtime
from kassa.services.billing import clock, promo_codes, purchases, renewals, subscriptions
from kassa.services.billing import lifecycle as billing
from kassa.services.payments.updates import apply_update
from tests.conftest import TEST_SECRET, _admin

T = TypeVar("T")
DAY = 86_400
EXAMPLES = int(os.environ.get("KASSA_PROPERTY_EXAMPLES", "500"))
ADMIN = Principal(subject="admin-property", role=Role.ADMIN)
PROVIDER = Actor.provider("payme")

# one group of UZS tariffs with unlike prices per day, and a KZT tariff in it
TARIFFS: dict[str, dict[str, Any]] = {
    "A": {"amount": 10_000_000, "currency": "UZS", "duration_days": 30, "trial_days": 14},
    "B": {"amount": 4_000_000, "currency": "UZS", "duration_days": 30, "trial_days": 0},
    "C": {"amount": 2_500_000, "currency": "UZS", "duration_days": 7, "trial_days": 0},
    "K": {"amount": 500_000, "currency": "KZT", "duration_days": 30, "trial_days": 0},
}
# code → (percent off, tariffs it is for (None: all), every period?, days it stays valid)
CODES: dict[str, tuple[int, tuple[str, ...] | None, bool, int | None]] = {
    "NINETY": (90, ("A",), True, None),
    "HALF": (50, None, False, None),
    "SOON": (30, ("A", "B"), True, 20),
}


class Loop:
    """One event loop in a thread of its own, for kassa's async services: Hypothesis drives
    the machine's rules synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class World:
    """kassa over the test's own database, with the group's tariffs."""

    loop: Loop
    rt: Runtime
    tariff_ids: dict[str, str]
    serial: int = 0

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}-{os.urandom(3).hex()}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    loop = Loop()
    server = os.environ.get("KASSA_TEST_DATABASE_URL")
    name = f"kassa_property_{os.urandom(4).hex()}"
    if server:
        loop.run(_admin(server, f"CREATE DATABASE {name}"))
        url = server.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('property')) / 'kassa.db'}"
    settings_ = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        sandbox=True,
        public_url="http://127.0.0.1:9",  # nothing is asked of a provider here
        log_level="ERROR",
    )

    async def build() -> World:
        await upgrade_async(url)
        rt = Runtime.build(settings_)
        ids = {}
        async with rt.db.transaction() as session:
            for key, fields in TARIFFS.items():
                tariff = Tariff(id=new_id("tar"), name=f"Plan {key}", group="property",
                                recurring=True, is_active=True, **fields)
                session.add(tariff)
                ids[key] = tariff.id
        return World(loop, rt, ids)

    world_ = loop.run(build())
    try:
        yield world_
    finally:
        loop.run(world_.rt.close())
        if server:
            loop.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        loop.close()


# ---------------------------------------------------------------- the test's own model

@dataclass
class Stretch:
    start: Fraction  # seconds on the billing clock
    end: Fraction
    value: Fraction
    funder: str | None

    def unused(self, now: Fraction) -> tuple[Fraction, Fraction]:
        """(seconds, value) not yet used at `now`."""
        length = self.end - self.start
        left = max(Fraction(0), self.end - max(now, self.start))
        return left, (self.value * left / length if length else Fraction(0))


@dataclass
class PaymentSeen:
    id: str
    tariff: str
    amount: int
    refunded: int = 0
    renewal: bool = False


@dataclass
class Model:
    """What the customer paid and what that money buys, by the rules of docs/contract.md."""

    stretches: list[Stretch] = field(default_factory=list)
    tariff: str | None = None
    trial_taken: bool = False
    codes_used: set[str] = field(default_factory=set)
    renewal_code: str | None = None
    paid: dict[str, PaymentSeen] = field(default_factory=dict)
    slack: Fraction = Fraction(0)  # seconds kassa may round away (to the second, to the unit)

    @property
    def end(self) -> Fraction:
        return max((s.end for s in self.stretches), default=Fraction(0))

    def paid_time_left(self, now: Fraction) -> bool:
        return any(s.funder and s.unused(now)[1] > 0 for s in self.stretches)

    def round_slack(self, tariff: str) -> None:
        spec = TARIFFS[tariff]
        self.slack += 2 + Fraction(spec["duration_days"] * DAY, spec["amount"])

    def buy(self, payment: PaymentSeen, now: Fraction) -> None:
        """A paid payment's time. A renewal asked for before a change of tariff and paid
        after it buys its own tariff: a change like any other."""
        self.slack += 2  # kassa's clock read a moment before the model's
        spec = TARIFFS[payment.tariff]
        length = Fraction(spec["duration_days"] * DAY)
        if self.tariff is None or not self.stretches:
            start = now
        elif self.tariff == payment.tariff:
            start = self.end if payment.renewal else max(now, self.end)
        elif TARIFFS[self.tariff]["currency"] != spec["currency"]:
            start = max(now, self.end)
        else:
            start = now
            # the live stretches are all on the current tariff: a second of clock or rounding
            # off there is this many seconds of the new one
            old = TARIFFS[self.tariff]
            ratio = Fraction(old["amount"] * spec["duration_days"], old["duration_days"] * spec["amount"])
            self.slack *= max(Fraction(1), ratio)
            carried: dict[str, Fraction] = {}
            for s in self.stretches:
                left, value = s.unused(now)
                if left <= 0:
                    continue
                if s.funder is not None and value > 0:
                    carried[s.funder] = carried.get(s.funder, Fraction(0)) + value
                s.value -= value
                s.start, s.end = min(now, s.start), now
            for funder, value in carried.items():
                seconds = value * length / spec["amount"]
                self.stretches.append(Stretch(start, start + seconds, value, funder))
                start += seconds
                self.round_slack(payment.tariff)
        self.stretches.append(Stretch(start, start + length, Fraction(payment.amount), payment.id))
        self.tariff = payment.tariff

    def refund(self, payment_id: str, amount: int, now: Fraction) -> None:
        left = Fraction(amount)
        for s in sorted(self.stretches, key=lambda s: s.start, reverse=True):
            if s.funder != payment_id or left <= 0:
                continue
            seconds, value = s.unused(now)
            if seconds <= 0:
                continue
            take = min(left, value)
            removed = seconds if take == value else take * (s.end - s.start) / s.value
            old_end = s.end
            s.end -= removed
            s.value -= take
            left -= take
            for later in self.stretches:
                if later is not s and later.start >= old_end:
                    later.start -= removed
                    later.end -= removed
            if self.tariff:
                self.round_slack(self.tariff)
        self.slack += 1


def _seconds(when: datetime, epoch: datetime) -> Fraction:
    delta = when - epoch
    return Fraction(delta.days * DAY + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


class MoneyBacksTime(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.user = self.world.next_id("u")
        self.model = Model()
        self.sub_id: str | None = None
        self.open_renewal: str | None = None
        self.renewal_price = 0
        self.epoch = self.run(self._now())
        self.expires: dict[str, datetime] = {}
        self.codes: dict[str, str] = {}
        for name, (percent, only, every, days) in CODES.items():
            code = self.world.next_id(name).replace("-", "").upper()[:40]
            expires = self.run(self._now()) + timedelta(days=days) if days else None
            fields = {"code": code, "percent_off": percent, "applies_to":
                      "every_period" if every else "first_period", "expires_at": expires,
                      "tariff_ids": [self.world.tariff_ids[t] for t in only] if only else []}
            self.run(promo_codes.create(self.world.rt, ADMIN, fields))
            self.codes[name] = code
            if expires:
                self.expires[name] = expires

    # -------------------------------------------------------------- plumbing

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.world.loop.run(coro)

    async def _now(self) -> datetime:
        async with self.world.rt.db.transaction() as session:
            return await clock.billing_now(session)

    def now(self) -> Fraction:
        return _seconds(self.run(self._now()), self.epoch)

    async def _sub(self) -> Subscription | None:
        async with self.world.rt.db.transaction() as session:
            if self.sub_id is None:
                return None
            return await session.get(Subscription, self.sub_id)

    def live(self) -> Subscription | None:
        sub = self.run(self._sub())
        return sub if sub is not None and billing.is_live(sub) else None

    async def _move(self, payment_id: str, status: PaymentStatus, **fields: Any) -> Payment:
        async with self.world.rt.db.transaction() as session:
            update = ProviderUpdate(provider="payme", event_id=self.world.next_id("ev"),
                                    payment_id=payment_id, status=status, **fields)
            return (await apply_update(session, update, actor=PROVIDER)).payment

    def settle(self, payment_id: str) -> Payment:
        payment = self.run(self._payment(payment_id))
        paid = self.run(self._move(payment_id, PaymentStatus.SUCCEEDED, amount=payment.amount,
                                   currency=payment.currency))
        assert paid.status == PaymentStatus.SUCCEEDED.value
        return paid

    async def _payment(self, payment_id: str) -> Payment:
        async with self.world.rt.db.transaction() as session:
            payment = await session.get(Payment, payment_id)
            assert payment is not None
            return payment

    async def _tick(self) -> str | None:
        """The billing job's steps for this subscription, as the worker would run them:
        a renewal payment made when due (asked of the customer: no card), dunning, the end."""
        made: str | None = None
        for _ in range(6):
            async with self.world.rt.db.transaction() as session:
                sub = await billing.lock(session, self.sub_id or "")
                now = await clock.billing_now(session)
                if sub is None or sub.next_attempt_at is None or sub.next_attempt_at > now:
                    break
                claimed = await renewals.claim(self.world.rt, session, [sub], now,
                                               billing_policy(session))
            for renewal in claimed:
                await renewals._carry_out(self.world.rt, renewal)
                made = renewal.payment.id
        return made

    def price(self, tariff: str, code: str | None, renewal: bool) -> int:
        """What the model says a payment must ask: the list price less a code's discount,
        only within the code's tariffs, dates and (at renewal) every-period terms."""
        amount = int(TARIFFS[tariff]["amount"])
        if code is None:
            return amount
        percent, only, every, _ = CODES[code]
        expires = self.expires.get(code)
        if only is not None and tariff not in only:
            return amount
        if renewal and not every:
            return amount
        if expires is not None and self.run(self._now()) >= expires:
            return amount
        return amount - min(amount * percent // 100, amount - 1)

    # ---------------------------------------------------------------- rules

    @rule(tariff=st.sampled_from(["A"]))
    def trial(self, tariff: str) -> None:
        try:
            self.run(subscriptions.start_trial(self.world.rt, ADMIN, self.world.tariff_ids[tariff],
                                               user_id=self.user, organization_id=None,
                                               payment_method_id=None))
        except InvalidState:
            assert self.model.trial_taken or self.sub_id is not None, "a first trial refused"
            return
        assert not self.model.trial_taken and self.sub_id is None, "a second trial in one group"
        self.model.trial_taken = True
        now = self.now()
        self.run(self._find_sub())
        self.model.stretches = [Stretch(now, now + TARIFFS[tariff]["trial_days"] * DAY, Fraction(0), None)]
        self.model.slack += 1  # kassa's clock read a moment before the model's
        self.model.tariff = tariff

    async def _find_sub(self) -> None:
        async with self.world.rt.db.transaction() as session:
            self.sub_id = await session.scalar(
                select(Subscription.id).where(Subscription.user_id == self.user)
                .order_by(Subscription.created_at.desc()).limit(1))

    @rule(tariff=st.sampled_from(sorted(TARIFFS)), code=st.sampled_from([None, *sorted(CODES)]),
          pays=st.sampled_from([True, True, False]))  # a paid purchase moves more
    def purchase(self, tariff: str, code: str | None, pays: bool) -> None:
        now = self.now()
        live = self.live()
        holding_other_currency = (
            live is not None and self.model.tariff is not None
            and TARIFFS[self.model.tariff]["currency"] != TARIFFS[tariff]["currency"]
            and self.model.tariff != tariff and self.model.paid_time_left(now))
        request = purchases.PurchaseRequest(provider="payme", user_id=self.user,
                                            promo_code=self.codes[code] if code else None)
        try:
            payment = self.run(purchases.purchase(self.world.rt, ADMIN, self.world.tariff_ids[tariff], request))
        except InvalidState:
            assert holding_other_currency, "a purchase refused as a change across currencies"
            return
        except ValidationFailed as refused:
            if TARIFFS[tariff]["currency"] != "UZS":
                # past the currency check, the provider's own refusal: Payme takes only sums
                assert not holding_other_currency, "paid time in another currency would be lost"
                return
            assert code is not None, f"a purchase without a code refused: {refused}"
            assert (CODES[code][1] is not None and tariff not in CODES[code][1]) or (
                self.price(tariff, code, False) == TARIFFS[tariff]["amount"]) or (
                code in self.model.codes_used), f"a code refused within its terms: {refused}"
            return
        assert not holding_other_currency, "paid time in another currency would be lost"
        assert payment.amount == self.price(tariff, code, False), "a discount outside its terms"
        if code:
            self.model.codes_used.add(code)
        if not pays:
            self.run(self._move(payment.id, PaymentStatus.CANCELLED))
            return
        if live is None:
            self.model.stretches = []
            self.model.tariff = None
        changed = self.model.tariff not in (None, tariff)
        self.settle(payment.id)
        seen = PaymentSeen(payment.id, tariff, payment.amount)
        self.model.paid[payment.id] = seen
        self.model.buy(seen, self.now())
        every = code if code and CODES[code][2] else None
        if every or live is None or changed:
            self.model.renewal_code = every  # a change drops the old tariff's code
        self.run(self._find_sub())

    # a renewal is asked for a day before a 30-day period ends, a 7-day one within the week
    @rule(days=st.one_of(st.sampled_from([6, 13, 29]), st.integers(min_value=0, max_value=60)),
          hours=st.integers(min_value=1, max_value=23))
    def time_passes(self, days: int, hours: int) -> None:
        self.run(self._advance(days * DAY + hours * 3600))
        made = self.run(self._tick())
        if made is not None and self.model.tariff is not None:
            # priced when it is asked for: a code given later does not reprice it
            self.open_renewal = made
            self.renewal_price = self.price(self.model.tariff, self.model.renewal_code, True)

    async def _advance(self, seconds: int) -> None:
        async with self.world.rt.db.transaction() as session:
            await clock.advance(session, seconds)

    @rule(pays=st.booleans())
    def renewal_answered(self, pays: bool) -> None:
        """The customer pays the renewal asked of them, or it fails (nothing when none is
        open: the draws stay the same whatever kassa's job made)."""
        payment_id = self.open_renewal
        if payment_id is None:
            return
        self.open_renewal = None
        payment = self.run(self._payment(payment_id))
        if payment.status != PaymentStatus.PENDING.value:
            return  # closed meanwhile (the subscription ended, or a later attempt replaced it)
        tariff = next(k for k, v in self.world.tariff_ids.items() if v == payment.tariff_id)
        assert payment.amount == self.renewal_price, "a renewal discounted outside its code's terms"
        if not pays:
            self.run(self._move(payment_id, PaymentStatus.FAILED, failure_code="card_declined"))
            return
        live = self.live()
        self.settle(payment_id)
        seen = PaymentSeen(payment_id, tariff, payment.amount, renewal=live is not None)
        if live is None:  # paid after the subscription ended: the customer starts afresh
            self.model.stretches, self.model.tariff = [], None
            self.model.renewal_code = None
            self.run(self._find_sub())
        self.model.paid[payment_id] = seen
        self.model.buy(seen, self.now())

    @precondition(lambda self: any(p.refunded < p.amount for p in self.model.paid.values()))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        # in the order they were paid: ids are random, and the draws must not depend on them
        choices = [p.id for p in self.model.paid.values() if p.refunded < p.amount]
        seen = self.model.paid[data.draw(st.sampled_from(choices))]
        left = seen.amount - seen.refunded
        amount = data.draw(st.one_of(st.just(left), st.integers(min_value=1, max_value=left)))
        seen.refunded += amount
        status = PaymentStatus.REFUNDED if seen.refunded == seen.amount else PaymentStatus.PARTIALLY_REFUNDED
        live = self.live() is not None
        self.run(self._move(seen.id, status, refunded_amount=seen.refunded))
        if live:
            self.model.refund(seen.id, amount, self.now())

    @precondition(lambda self: self.sub_id is not None)
    @rule(now=st.booleans())
    def cancel(self, now: bool) -> None:
        try:
            self.run(subscriptions.cancel(self.world.rt, ADMIN, self.sub_id or "", at_period_end=not now))
        except KassaError:
            return
        if now:
            self.model.stretches = []

    # ------------------------------------------------------------- invariants

    @invariant()
    def time_held_is_what_the_money_bought(self) -> None:
        sub = self.live()
        if sub is None:
            return
        now = self.now()
        held = _seconds(sub.current_period_end, self.epoch)
        bought = self.model.end
        assert held <= bought + self.model.slack, (
            f"{float(held - bought) / DAY:.2f} days more than the money bought")
        if sub.status != "past_due" or bought > now:
            assert held >= bought - self.model.slack, (
                f"{float(bought - held) / DAY:.2f} days fewer than the money bought")

    @invariant()
    def a_trial_lasts_its_days(self) -> None:
        sub = self.live()
        if sub is not None and sub.status == "trialing":
            trial = sub.current_period_end - sub.started_at
            assert trial <= timedelta(days=TARIFFS["A"]["trial_days"]), "a trial longer than its days"


def _examples(world: World, examples: int) -> None:
    MoneyBacksTime.world = world
    run_state_machine_as_test(
        MoneyBacksTime,
        settings=settings(max_examples=examples, stateful_step_count=16, derandomize=True,
                          deadline=None, database=None,
                          suppress_health_check=list(HealthCheck)),
    )


def test_no_history_gives_service_time_the_money_did_not_buy(world: World) -> None:
    _examples(world, EXAMPLES)
