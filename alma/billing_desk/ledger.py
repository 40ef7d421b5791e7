"""Money in and out by day (UTC): clients' payments in by gateway, refunds out, credit
notes; insurers' remittances in, provider payouts out, recoupments and write-offs; the net.

Every figure is a sum of rows by the day they were made (`Payment`, `Refund`, `CreditNote`),
or of the movements the features answer `events.money_moved` with (claims: remittances by
their payment date, recoupments, write-offs; payouts: statements paid), and `entries_on`
lists the rows behind one day, so each amount traces to what caused it. A payment a
provider recorded as paid to them directly never reached Alma: it is shown apart and left
out of what came in and of the net. A recoupment comes off that remittance or a later one
(the remittance's amount is what arrived), and a write-off moves no money: both are shown
apart, out of the net.
"""
import datetime
from dataclasses import dataclass, field

from peewee import JOIN, fn

from alma.accounts.models import User
from alma.billing import events
from alma.billing.events import PAYOUT, RECOUPMENT, REMITTANCE, WRITE_OFF
from alma.billing.models import CreditNote, Invoice, Payment, Refund
from alma.billing.service import DIRECT
from alma.clock import today

DEFAULT_DAYS = 30
# A movement's kind: the Day's fields counting it and summing it.
MOVED = {REMITTANCE: ("remittances", "remitted"), PAYOUT: ("payouts", "paid_out"),
         RECOUPMENT: ("recoupments", "recouped"), WRITE_OFF: ("write_offs", "written_off")}
GATEWAY_LABELS = {"stripe": "Stripe", "local": "Local test", DIRECT: "Paid to providers"}


@dataclass
class Day:
    day: object  # a date, or None for the totals
    payments: int = 0
    paid_in: int = 0
    by_gateway: dict = field(default_factory=dict)  # gateway: [count, cents]
    direct: int = 0
    direct_count: int = 0
    refunds: int = 0
    refunded: int = 0
    credit_notes: int = 0
    credited: int = 0
    remittances: int = 0
    remitted: int = 0
    payouts: int = 0
    paid_out: int = 0
    recoupments: int = 0
    recouped: int = 0
    write_offs: int = 0
    written_off: int = 0

    @property
    def money_in(self):
        return self.paid_in + self.remitted

    @property
    def money_out(self):
        return self.refunded + self.paid_out

    @property
    def net(self):
        return self.money_in - self.money_out

    @property
    def quiet(self):
        return not (self.payments or self.direct_count or self.refunds or self.credit_notes
                    or self.remittances or self.payouts or self.recoupments
                    or self.write_offs)

    def add(self, other):
        self.payments += other.payments
        self.paid_in += other.paid_in
        for gateway, (count, cents) in other.by_gateway.items():
            mine = self.by_gateway.setdefault(gateway, [0, 0])
            mine[0] += count
            mine[1] += cents
        self.direct += other.direct
        self.direct_count += other.direct_count
        self.refunds += other.refunds
        self.refunded += other.refunded
        self.credit_notes += other.credit_notes
        self.credited += other.credited
        for counted, summed in MOVED.values():
            setattr(self, counted, getattr(self, counted) + getattr(other, counted))
            setattr(self, summed, getattr(self, summed) + getattr(other, summed))


@dataclass
class Ledger:
    start: datetime.date
    end: datetime.date
    days: list
    gateways: list  # the gateways money came in through, in the range
    totals: Day


def default_range():
    end = today()
    return end - datetime.timedelta(days=DEFAULT_DAYS - 1), end


def _bounds(start, end):
    return (datetime.datetime.combine(start, datetime.time()),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))


def _as_date(value):
    """DATE() answers a date on PostgreSQL; on SQLite text, which peewee may read back as a
    datetime (the column's type)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _per_day(model, *extra):
    day = fn.DATE(model.created_at)
    return model.select(day, *extra, fn.COUNT(model.id), fn.SUM(model.amount_cents)), day


def by_day(start, end):
    """Every day from start to end (both included), and the totals."""
    low, high = _bounds(start, end)
    days = {start + datetime.timedelta(days=n): Day(start + datetime.timedelta(days=n))
            for n in range((end - start).days + 1)}
    query, day = _per_day(Payment, Payment.gateway)
    for when, gateway, count, cents in (query.where((Payment.created_at >= low)
                                                    & (Payment.created_at < high))
                                        .group_by(day, Payment.gateway).tuples()):
        row = days[_as_date(when)]
        if gateway == DIRECT:
            row.direct_count += count
            row.direct += cents
        else:
            row.payments += count
            row.paid_in += cents
            row.by_gateway[gateway] = [count, cents]
    for model, counted, summed in ((Refund, "refunds", "refunded"),
                                   (CreditNote, "credit_notes", "credited")):
        query, day = _per_day(model)
        for when, count, cents in (query.where((model.created_at >= low)
                                               & (model.created_at < high))
                                   .group_by(day).tuples()):
            row = days[_as_date(when)]
            setattr(row, counted, count)
            setattr(row, summed, cents)
    for movement in moved(start, end):
        row, (counted, summed) = days[movement.day], MOVED[movement.kind]
        setattr(row, counted, getattr(row, counted) + 1)
        setattr(row, summed, getattr(row, summed) + movement.cents)
    totals = Day(None)
    for row in days.values():
        totals.add(row)
    return Ledger(start, end, list(days.values()), sorted(totals.by_gateway), totals)


def moved(start, end):
    """What the features say moved on these days (events.money_moved), in their order."""
    found = [movement for _, answer in events.money_moved.send(None, start=start, end=end)
             for movement in answer or () if start <= movement.day <= end]
    return sorted(found, key=lambda movement: movement.at)


@dataclass
class Entries:
    day: datetime.date
    payments: list
    refunds: list
    credit_notes: list
    moved: dict  # kind: [Movement]


def entries_on(day):
    """The rows behind one day of the ledger, each with its invoice."""
    low, high = _bounds(day, day)

    payments = list(Payment.select(Payment, Invoice).join(Invoice)
                    .where((Payment.created_at >= low) & (Payment.created_at < high))
                    .order_by(Payment.created_at, Payment.id))
    refunds = list(Refund.select(Refund, Payment, Invoice, User).join(Payment).join(Invoice)
                   .switch(Refund).join(User, on=Refund.made_by, join_type=JOIN.LEFT_OUTER)
                   .where((Refund.created_at >= low) & (Refund.created_at < high))
                   .order_by(Refund.created_at, Refund.id))
    notes = list(CreditNote.select(CreditNote, Invoice, User).join(Invoice)
                 .switch(CreditNote).join(User, on=CreditNote.made_by, join_type=JOIN.LEFT_OUTER)
                 .where((CreditNote.created_at >= low) & (CreditNote.created_at < high))
                 .order_by(CreditNote.created_at, CreditNote.id))
    kinds = {kind: [] for kind in MOVED}
    for movement in moved(day, day):
        kinds[movement.kind].append(movement)
    return Entries(day, payments, refunds, notes, kinds)


def gateway_label(gateway):
    return GATEWAY_LABELS.get(gateway, gateway)
