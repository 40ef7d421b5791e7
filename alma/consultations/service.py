"""Consultation requests: from the form to an answer, never to silence.

Every change is one transaction with its emails (written to the outbox) and
its audit event. State changes are conditional UPDATEs from `pending`, so
two clicks, two tabs or an email link and the inbox at once make one change.
"""
import datetime
from dataclasses import dataclass

from flask import current_app
from peewee import IntegrityError

from alma import audit
from alma.accounts import links
from alma.clock import utcnow
from alma.consultations import events
from alma.consultations.models import (ACCEPTED, DECLINED, PENDING, PROVIDER_DECLINE_REASONS,
                                       WITHDRAWN, ConsultationRequest, WaitlistEntry)
from alma.db import db
from alma.directory import criteria as search_criteria
from alma.directory import service as directory
from alma.mail import service as mail
from alma.network import vocab
from alma.network.models import Client, License, ServiceState
from alma.web import absolute_url

CLIENT_LINK = "client-status"
PROVIDER_LINK = "provider-act"
WAITLIST_LINK = "join-waitlist"
CLIENT_LINK_TTL = datetime.timedelta(days=30)
WAITLIST_LINK_TTL = datetime.timedelta(days=90)
DUPLICATE_WINDOW = datetime.timedelta(hours=24)


class RequestProblem(Exception):
    """The request can't be sent as it is; `field` says where, if anywhere."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class IllegalMove(Exception):
    """A change that this request's state doesn't allow (e.g. already answered)."""


@dataclass
class Submission:
    name: str
    email: str
    phone: str
    state: str
    payer: object  # Payer, or None when paying themselves
    member_id: str
    self_pay: bool
    concerns: str
    preferred_format: str
    availability: str
    submission_key: str


def is_licensed_in(provider, state, on):
    return License.select().where(
        (License.provider == provider.id) & (License.state == state)
        & (License.level != "pre_licensed") & (License.expires_on >= on)).exists()


def client_for(name, email, phone, state):
    """The self-registered client with this email, made on first contact.

    Never a provider's record of someone: what a provider recorded stays theirs.
    """
    email = email.strip().lower()
    client = Client.self_registered(email)
    if client is None:
        try:
            with db.atomic():
                return Client.create(email=email, name=name, phone=phone or None, state=state)
        except IntegrityError:  # created by a concurrent request a moment ago
            client = Client.self_registered(email)
    # An email address isn't proof of who typed it: a new submission never
    # renames a client or replaces their phone, it only fills what's missing.
    client.state = state
    client.phone = client.phone or phone or None
    client.save()
    return client


def submit(provider, sub, source="directory"):
    """Send a consultation request; returns (request, outcome).

    outcome is "sent", "state_not_served" (declined at once, waitlist offered)
    or "already_sent" (the same form submitted again: nothing new is made).
    """
    existing = ConsultationRequest.get_or_none(
        ConsultationRequest.submission_key == sub.submission_key)
    if existing is not None:
        return existing, "already_sent"
    now = utcnow()
    if not provider.accepting_new_clients:
        raise RequestProblem(f"{provider.first_name} isn't taking new clients right now.")
    state = ServiceState.get_or_none(ServiceState.code == sub.state)
    if state is None:
        raise RequestProblem("Choose the state where you live.", field="state")
    if source == "matching" and not state.operating:
        raise RequestProblem(f"Alma doesn't operate in {state.name} yet.", field="state")
    if state.operating and not is_licensed_in(provider, state.code, now.date()):
        raise RequestProblem(
            f"{provider.full_name} isn't licensed in {state.name}, and a therapist must be "
            f"licensed where you are during sessions.", field="state")
    try:
        with db.atomic():
            earlier = _earlier_request(provider, sub.email, now) if state.operating else None
            if earlier is not None and source == "matching":
                raise RequestProblem(f"The client sent {provider.first_name} a request in the "
                                     "last day already: it is in their inbox.")
            if earlier is not None:
                # Saying so on the page would tell whoever typed this address that its
                # owner asked this therapist for help: the page answers as for any request,
                # nothing is stored, and only the address's owner hears of it.
                mail.queue("request_asked_again", earlier.client.email,
                           dedupe_key=f"consultation:{earlier.id}:asked-again",
                           request=earlier, provider=provider)
                return earlier, "already_sent"
            client = client_for(sub.name, sub.email, sub.phone, sub.state)
            request = ConsultationRequest.create(
                client=client, name=sub.name, phone=sub.phone or None, provider=provider,
                state=sub.state, payer=sub.payer,
                member_id=sub.member_id or None, self_pay=sub.self_pay, concerns=sub.concerns,
                preferred_format=sub.preferred_format, availability=sub.availability,
                submission_key=sub.submission_key, created_at=now, source=source)
            if not state.operating:
                _decline_for_state(request, state, now)
                return request, "state_not_served"
            _announce(request)
            audit.record("submitted", "consultation", request.id, client=client,
                         actor_label=f"client {client.id}")
            return request, "sent"
    except IntegrityError:
        # The same form, submitted twice at the same moment: one request.
        return ConsultationRequest.get(
            ConsultationRequest.submission_key == sub.submission_key), "already_sent"


def _earlier_request(provider, email, now):
    """The request this address's own client sent this provider in the last day, if any."""
    client = Client.self_registered(email.strip().lower())
    if client is None:
        return None
    return (ConsultationRequest.select()
            .where((ConsultationRequest.client == client.id)
                   & (ConsultationRequest.provider == provider.id)
                   & (ConsultationRequest.created_at > now - DUPLICATE_WINDOW))
            .order_by(ConsultationRequest.created_at.desc()).first())


def _announce(request):
    client, provider = request.client, request.provider
    if request.source != "matching":  # the matching team tells the client itself
        status_token = links.create(CLIENT_LINK, request.id, CLIENT_LINK_TTL)
        mail.queue("request_received", client.email,
                   dedupe_key=f"consultation:{request.id}:received",
                   request=request, client=client, provider=provider,
                   status_url=absolute_url("consultations.status_link", token=status_token))
    act_token = links.create(PROVIDER_LINK, request.id, provider_link_ttl())
    act_url = absolute_url("inbox.email_action", request_id=request.id, token=act_token)
    mail.queue("new_request", provider.email, dedupe_key=f"consultation:{request.id}:new",
               request=request, client=client, provider=provider,
               accept_url=act_url + "?do=accept", decline_url=act_url + "?do=decline",
               inbox_url=absolute_url("inbox.request", request_id=request.id))


def provider_link_ttl():
    return datetime.timedelta(days=current_app.config["EXPIRE_REQUEST_AFTER_DAYS"] + 1)


def _decline_for_state(request, state, now):
    request.status, request.decline_reason = DECLINED, "state_not_served"
    request.answered_at = request.closed_at = now
    request.save()
    token = links.create(WAITLIST_LINK, request.id, WAITLIST_LINK_TTL)
    mail.queue("state_not_served", request.client.email,
               dedupe_key=f"consultation:{request.id}:state-not-served",
               request=request, client=request.client, state=state,
               waitlist_url=absolute_url("consultations.waitlist_link", token=token))


# --- Answers -------------------------------------------------------------------------

def _answer(request, status, actor, **changes):
    """Move a pending request to `status`, once; raises IllegalMove otherwise."""
    now = utcnow()
    won = (ConsultationRequest
           .update(status=status, answered_at=now, closed_at=now, **changes)
           .where((ConsultationRequest.id == request.id)
                  & (ConsultationRequest.status == PENDING))
           .execute())
    if won != 1:
        raise IllegalMove("This request was answered already.")
    request = ConsultationRequest.get_by_id(request.id)
    audit.record(status if status != DECLINED else changes.get("decline_reason", "declined"),
                 "consultation", request.id, client=request.client, actor=actor,
                 actor_label=None if actor else "email link")
    return request


def accept(request, actor=None):
    with db.atomic():
        request = _answer(request, ACCEPTED, actor)
        events.answered.send(request)
        mail.queue("accepted", request.client.email,
                   dedupe_key=f"consultation:{request.id}:answer",
                   request=request, client=request.client, provider=request.provider)
        return request


def decline(request, reason, note="", actor=None):
    if reason not in PROVIDER_DECLINE_REASONS:
        raise RequestProblem("Choose a reason.", field="reason")
    with db.atomic():
        request = _answer(request, DECLINED, actor, decline_reason=reason,
                          decline_note=(note or "").strip()[:1000] or None)
        events.answered.send(request)
        mail.queue("declined", request.client.email,
                   dedupe_key=f"consultation:{request.id}:answer",
                   request=request, client=request.client, provider=request.provider,
                   others=other_providers(request))
        return request


def hand_to_matching(request, actor=None):
    """"Not a good fit": the Client Matching team takes the client from here."""
    with db.atomic():
        request = _answer(request, DECLINED, actor, decline_reason="not_a_fit")
        if request.source == "matching":
            events.answered.send(request)  # the team's own match goes back to its queue
        else:
            events.handed_over.send(request)
        mail.queue("handed_to_matching", request.client.email,
                   dedupe_key=f"consultation:{request.id}:answer",
                   request=request, client=request.client, provider=request.provider)
        return request


def withdraw(request, client):
    with db.atomic():
        won = (ConsultationRequest.update(status=WITHDRAWN, closed_at=utcnow())
               .where((ConsultationRequest.id == request.id)
                      & (ConsultationRequest.client == client.id)
                      & (ConsultationRequest.status == PENDING))
               .execute())
        if won != 1:
            raise IllegalMove("This request was answered already.")
        audit.record("withdrawn", "consultation", request.id, client=client,
                     actor_label=f"client {client.id}")


def expire(request):
    """Called by the follow-up job, which has claimed the request already."""
    events.answered.send(request)
    mail.queue("request_expired", request.client.email,
               dedupe_key=f"consultation:{request.id}:expired",
               request=request, client=request.client, provider=request.provider,
               others=other_providers(request))


def other_providers(request, limit=3):
    """Up to `limit` others who are accepting, serve the client's state and take their payment."""
    words = vocab.current()
    criteria = search_criteria.Criteria(state=words.states.get(request.state),
                                        payer=request.payer, self_pay=request.self_pay)
    if criteria.state is None or not criteria.state.operating:
        return []
    asked = {row.provider_id for row in ConsultationRequest.select(
        ConsultationRequest.provider).where(ConsultationRequest.client == request.client_id)}
    found = directory.search(criteria, page_size=limit + len(asked), cap=limit + len(asked))
    return [r for r in found.results if r.provider.id not in asked][:limit]


# --- The waitlist --------------------------------------------------------------------

def join_waitlist(email, state, client=None):
    email = email.strip().lower()
    entry = WaitlistEntry.get_or_none((WaitlistEntry.state == state)
                                      & (WaitlistEntry.email == email))
    if entry is not None:
        return entry
    try:
        with db.atomic():
            return WaitlistEntry.create(email=email, state=state, client=client)
    except IntegrityError:
        return WaitlistEntry.get((WaitlistEntry.state == state) & (WaitlistEntry.email == email))


def join_waitlist_by_link(token):
    with db.atomic():
        link = links.spend(token, WAITLIST_LINK)
        request = ConsultationRequest.get_by_id(link.subject_id)
        return join_waitlist(request.client.email, request.state, request.client)


def launch_state(code):
    """Start operating in a state, and tell everyone on its waitlist, once."""
    with db.atomic():
        state = directory.launch_state(code)
        waiting = WaitlistEntry.select().where((WaitlistEntry.state == state.code)
                                               & WaitlistEntry.notified_at.is_null())
        told = 0
        for entry in waiting:
            won = (WaitlistEntry.update(notified_at=utcnow())
                   .where((WaitlistEntry.id == entry.id) & WaitlistEntry.notified_at.is_null())
                   .execute())
            if won == 1:
                mail.queue("state_launched", entry.email,
                           dedupe_key=f"waitlist:{entry.id}:launched", state=state,
                           search_url=absolute_url("directory.search", state=state.code))
                told += 1
        return state, told


# --- Who may see what -----------------------------------------------------------------

def for_provider(provider, waiting=None):
    query = (ConsultationRequest.select(ConsultationRequest, Client)
             .join(Client).where(ConsultationRequest.provider == provider.id)
             .order_by(ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc()))
    if waiting is True:
        query = query.where(ConsultationRequest.status == PENDING)
    elif waiting is False:
        query = query.where(ConsultationRequest.status != PENDING)
    return query


def hours_waiting(request, now=None):
    end = request.answered_at or now or utcnow()
    return max(0, int((end - request.created_at).total_seconds() // 3600))
