"""Matching clients with providers, one-on-one.

A match request comes from the client (/match), from a provider who says
"not a good fit", or from a request nobody answered in time. The team sees
ranked suggestions, proposes a provider (a consultation request on the
client's behalf, following every rule of consultations), or sends a
de-identified opportunity to several providers at once. A decline, a
not-a-fit or no answer puts the match back in the queue by itself.
"""
import datetime
import statistics
from dataclasses import dataclass, field

from flask import current_app
from peewee import IntegrityError, fn

from alma import audit, geo
from alma.accounts import links
from alma.clock import utcnow
from alma.consultations import events
from alma.consultations import service as consultations
from alma.consultations.models import ACCEPTED, PENDING, ConsultationRequest
from alma.db import db
from alma.directory.models import Listing
from alma.mail import service as mail
from alma.matching import wording
from alma.matching.models import (CLOSED, MATCHED, OPEN, PROPOSED, WITHDRAWN, MatchOpportunity,
                                  MatchProposal, MatchRequest)
from alma.network import vocab
from alma.network.models import GENDERS, Provider
from alma.web import absolute_url

MATCH_LINK = "match-status"
OPPORTUNITY_LINK = "opportunity"
MATCH_LINK_TTL = datetime.timedelta(days=60)
OPPORTUNITY_TTL = datetime.timedelta(days=3)


class MatchProblem(Exception):
    pass


def due_after(start, business_days):
    """`start` plus so many business days (Saturdays and Sundays don't count)."""
    due = start
    left = business_days
    while left > 0:
        due += datetime.timedelta(days=1)
        if due.weekday() < 5:
            left -= 1
    return due


def _due(start):
    return due_after(start, current_app.config["MATCH_TARGET_BUSINESS_DAYS"])


def from_consultation(request, origin):
    """A match request for a client whose consultation request didn't work out."""
    return MatchRequest.create(
        client=request.client, name=request.name, phone=request.phone, consultation=request,
        origin=origin, state=request.state, payer=request.payer, self_pay=request.self_pay,
        concerns=request.concerns, preferred_format=request.preferred_format,
        availability=request.availability, due_at=_due(utcnow()))


@dataclass
class Needs:
    name: str
    email: str
    phone: str
    state: str
    payer: object
    plan: str
    self_pay: bool
    budget_cents: int
    concerns: str
    specialty: object
    gender: str
    language: object
    preferred_format: str
    modality: object
    availability: str
    zip_code: str
    submission_key: str


def ask_to_be_matched(needs):
    """The /match form: returns (match, created)."""
    existing = MatchRequest.get_or_none(MatchRequest.submission_key == needs.submission_key)
    if existing is not None:
        return existing, False
    try:
        with db.atomic():
            client = consultations.client_for(needs.name, needs.email, needs.phone, needs.state)
            match = MatchRequest.create(
                client=client, name=needs.name, phone=needs.phone or None,
                origin="client_form", state=needs.state, payer=needs.payer,
                plan=needs.plan or None, self_pay=needs.self_pay, budget_cents=needs.budget_cents,
                concerns=needs.concerns, specialty=needs.specialty, gender=needs.gender or None,
                language=needs.language, preferred_format=needs.preferred_format,
                modality=needs.modality, availability=needs.availability,
                zip_code=needs.zip_code or None, submission_key=needs.submission_key,
                due_at=_due(utcnow()))
            token = links.create(MATCH_LINK, match.id, MATCH_LINK_TTL)
            mail.queue("match_received", client.email, dedupe_key=f"match:{match.id}:received",
                       match=match, client=client,
                       status_url=absolute_url("matching.status_link", token=token))
            audit.record("submitted", "match", match.id, client=client,
                         actor_label=f"client {client.id}")
            return match, True
    except IntegrityError:
        return MatchRequest.get(MatchRequest.submission_key == needs.submission_key), False


# --- Suggestions ---------------------------------------------------------------------

@dataclass
class Suggestion:
    provider: Provider
    score: float
    reasons: list = field(default_factory=list)
    misses: list = field(default_factory=list)
    distance_miles: float = None
    pitch: str = ""  # one sentence for the client (wording.pitch)


def _bit(bits, row):
    return row is not None and bool(bits >> row.id & 1)


def suggestions(match, limit=10, candidates=400):
    """Providers who could take this client, best first, each with why.

    Hard rules: accepting, licensed where the client is, and in network for
    their payer (or within their self-pay budget). Then points for the help
    they want, their preferences, how fast the provider answers, distance.
    """
    if not match.state:
        return []
    today = utcnow().date()
    # Not again: anyone already asked, and whoever handed the client over.
    already = {p.provider_id for p in match.proposals}
    if match.consultation_id:
        already.add(match.consultation.provider_id)
    query = (Listing.select(Listing, Provider).join(Provider, on=(Listing.provider == Provider.id))
             .where((Listing.state == match.state) & (Listing.accepting == True)  # noqa: E712
                    & (Listing.license_expires_on >= today)))
    if match.payer_id and not match.self_pay:
        query = query.where(Listing.payer_bits.bin_and(1 << match.payer_id) != 0)
    elif match.self_pay:
        query = query.where(Listing.cash_rate_cents.is_null(False))
        if match.budget_cents:
            query = query.where(
                fn.COALESCE(Provider.sliding_scale_min_cents, Listing.cash_rate_cents)
                <= match.budget_cents)
    place = geo.lookup_zip(match.zip_code) if match.zip_code else None
    found = []
    for listing in query.order_by(Listing.accepting_confirmed_on.desc()).limit(candidates):
        provider = listing.provider
        if provider.id in already:
            continue
        s = Suggestion(provider, 0.0, pitch=wording.pitch_for(match, listing, provider.first_name))
        s.reasons.append(wording.payer_reason(match, listing))
        for row, bits, label in ((match.specialty, listing.specialty_bits, "helps with"),
                                 (match.modality, listing.modality_bits, "practises"),
                                 (match.language, listing.language_bits, "speaks")):
            if row is None:
                continue
            if _bit(bits, row):
                s.score += 3 if label == "helps with" else 2
                s.reasons.append(f"{label} {row.name}")
            else:
                s.misses.append(f"not {row.name}")
        if match.gender:
            if listing.gender == match.gender:
                s.score += 1
                s.reasons.append(f"{GENDERS[match.gender].lower()}, as asked")
            else:
                s.misses.append(f"not a {GENDERS[match.gender].lower()}")
        if match.preferred_format in ("telehealth", "in_person"):
            if getattr(listing, f"offers_{match.preferred_format}"):
                s.score += 1
                s.reasons.append(match.preferred_format.replace("_", " "))
            else:
                s.misses.append(f"no {match.preferred_format.replace('_', ' ')}")
        if provider.median_answer_hours is not None:
            s.score += 1 if provider.median_answer_hours <= 24 else \
                0.5 if provider.median_answer_hours <= 72 else -1
            s.reasons.append(f"answers within {provider.answers_within}")
        days = (today - listing.accepting_confirmed_on).days
        s.score += 0.5 if days <= 7 else 0
        s.reasons.append(f"confirmed room {days} days ago" if days else "confirmed room today")
        if place and listing.latitude is not None:
            s.distance_miles = geo.miles_between(place.latitude, place.longitude,
                                                 listing.latitude, listing.longitude)
            if match.preferred_format == "in_person" or s.distance_miles <= 25:
                s.score += max(0.0, 1.5 - s.distance_miles / 20)
                s.reasons.append(f"{s.distance_miles:.0f} miles away")
        found.append(s)
    found.sort(key=lambda s: (-s.score, s.provider.id))
    return found[:limit]


# --- Proposals -------------------------------------------------------------------------

def propose(match, provider, why, actor=None, via="team"):
    """Send the client's request to a provider on their behalf; the client is told who and why."""
    with db.atomic():
        won = (MatchRequest.update(status=PROPOSED)
               .where((MatchRequest.id == match.id) & (MatchRequest.status == OPEN)).execute())
        if won != 1:
            raise MatchProblem("This match isn't waiting for a proposal.")
        submission = consultations.Submission(
            name=match.name, email=match.client.email, phone=match.phone or "",
            state=match.state, payer=None if match.self_pay else match.payer, member_id="",
            self_pay=match.self_pay, concerns=match.concerns or "(see the matching team's note)",
            preferred_format=match.preferred_format or "either",
            availability=match.availability or "", submission_key=f"match-{match.id}-{provider.id}")
        try:
            request, _ = consultations.submit(provider, submission, source="matching")
        except consultations.RequestProblem as problem:
            raise MatchProblem(str(problem)) from problem
        MatchProposal.create(match=match, provider=provider, consultation=request,
                             proposed_by=actor, why=why)
        mail.queue("match_proposed", match.client.email,
                   dedupe_key=f"match:{match.id}:proposed:{provider.id}", match=match,
                   client=match.client, provider=provider, why=why,
                   profile_url=absolute_url("directory.profile", slug=provider.slug))
        audit.record("proposed", "match", match.id, client=match.client, actor=actor,
                     actor_label=None if actor else via)
        return request


@events.handed_over.connect
def _not_a_fit(request):
    from_consultation(request, "not_a_fit")


@events.answered.connect
def on_consultation_answered(request):
    """A provider answered (or never did) a request the team made: back to the queue if no."""
    proposal = MatchProposal.get_or_none(MatchProposal.consultation == request.id)
    if proposal is None or request.status == PENDING:
        return
    if request.status == ACCEPTED:
        # A late yes still counts, even after the match went back to the queue.
        (MatchRequest.update(status=PROPOSED, return_reason=None)
         .where((MatchRequest.id == proposal.match_id) & (MatchRequest.status == OPEN))
         .execute())
        return
    reason = {"declined": f"{proposal.provider.full_name} declined",
              "expired": f"{proposal.provider.full_name} didn't answer"}.get(
        request.status, f"{proposal.provider.full_name}: {request.status}")
    if request.decline_reason == "not_a_fit":
        reason = f"{proposal.provider.full_name}: not a good fit"
    return_to_queue(proposal.match, reason)


@events.unanswered.connect
def unanswered(request):
    """Three days without an answer: the team's own proposal goes back to the queue;
    a client's own request gets the team's help."""
    proposal = MatchProposal.get_or_none(MatchProposal.consultation == request.id)
    if proposal is not None:
        return_to_queue(proposal.match, f"{proposal.provider.full_name} hasn't answered "
                                        f"in {current_app.config['SUGGEST_OTHERS_AFTER_DAYS']} days")
    elif not MatchRequest.select().where(MatchRequest.consultation == request.id).exists():
        from_consultation(request, "unanswered")


def return_to_queue(match, reason):
    now = utcnow()
    (MatchRequest.update(status=OPEN, returned_at=now, return_reason=reason[:250],
                         due_at=_due(now))
     .where((MatchRequest.id == match.id) & (MatchRequest.status == PROPOSED)).execute())


def close(match, outcome, actor=None):
    if outcome not in (MATCHED, WITHDRAWN, CLOSED):
        raise MatchProblem("Choose how it ended.")
    with db.atomic():
        won = (MatchRequest.update(status=outcome, closed_at=utcnow())
               .where((MatchRequest.id == match.id)
                      & MatchRequest.status.in_([OPEN, PROPOSED])).execute())
        if won != 1:
            raise MatchProblem("This match is closed already.")
        audit.record(f"closed:{outcome}", "match", match.id, client=match.client, actor=actor,
                     actor_label=None if actor else f"client {match.client_id}")


def waitlist_and_close(match, actor):
    """A request from a state the network doesn't serve: the client waits on its list."""
    state = vocab.current().states.get(match.state or "")
    if state is None or state.operating:
        raise MatchProblem("Alma operates in this client's state: propose someone instead.")
    with db.atomic():
        if MatchRequest.update(status=CLOSED, closed_at=utcnow()).where(
                (MatchRequest.id == match.id) & (MatchRequest.status == OPEN)).execute() != 1:
            raise MatchProblem("This match isn't waiting for a proposal.")
        consultations.join_waitlist(match.client.email, state.code, match.client)
        audit.record("closed:waitlisted", "match", match.id, client=match.client, actor=actor)


def assign(match, user, notes, actor):
    match.assignee = user
    match.notes = (notes or "")[:5000]
    match.save()
    audit.record("updated", "match", match.id, client=match.client, actor=actor)


# --- Opportunities ---------------------------------------------------------------------

def send_opportunities(match, providers, actor):
    """Ask several providers at once, without naming the client; the first yes wins."""
    if match.status != OPEN:
        raise MatchProblem("This match isn't waiting for a proposal.")
    if not providers:
        raise MatchProblem("Choose at least one provider.")
    words = vocab.current()
    with db.atomic():
        for provider in providers:
            opportunity = MatchOpportunity.create(match=match, provider=provider, sent_by=actor)
            token = links.create(OPPORTUNITY_LINK, opportunity.id, OPPORTUNITY_TTL)
            mail.queue("opportunity", provider.email,
                       dedupe_key=f"opportunity:{opportunity.id}", provider=provider,
                       match=match, state=words.states.get(match.state),
                       url=absolute_url("matching.opportunity", token=token))
        audit.record("opportunity_sent", "match", match.id, client=match.client, actor=actor)


def answer_opportunity(token):
    """A provider says "I have room": the first one becomes the proposal. Returns (opp, won)."""
    with db.atomic():
        link = links.spend(token, OPPORTUNITY_LINK)
        opportunity = MatchOpportunity.get_by_id(link.subject_id)
        match = opportunity.match
        try:
            with db.atomic():
                propose(match, opportunity.provider,
                        "They said they have room for someone with your needs.", via="opportunity")
        except MatchProblem:
            won = False
        else:
            won = True
        opportunity.answered_at = utcnow()
        opportunity.answer = "room" if won else "late"
        opportunity.save()
        if not won:
            mail.queue("opportunity_thanks", opportunity.provider.email,
                       dedupe_key=f"opportunity:{opportunity.id}:thanks",
                       provider=opportunity.provider)
        return opportunity, won


# --- The team's view ---------------------------------------------------------------------

def queue(include_closed=False):
    query = MatchRequest.select().order_by(MatchRequest.due_at, MatchRequest.id)
    if not include_closed:
        query = query.where(MatchRequest.status.in_([OPEN, PROPOSED]))
    return query


def dashboard(now=None, days=30):
    now = now or utcnow()
    since = now - datetime.timedelta(days=days)
    open_ = MatchRequest.select().where(MatchRequest.status == OPEN)
    by_origin = {origin: n for origin, n in MatchRequest.select(
        MatchRequest.origin, fn.COUNT(MatchRequest.id)).where(
        MatchRequest.status.in_([OPEN, PROPOSED])).group_by(MatchRequest.origin).tuples()}
    oldest = open_.order_by(MatchRequest.created_at).first()
    accepted = (MatchProposal.select(MatchProposal, MatchRequest, ConsultationRequest)
                .join(MatchRequest).switch(MatchProposal).join(ConsultationRequest)
                .where((ConsultationRequest.status == ACCEPTED)
                       & (ConsultationRequest.answered_at >= since)))
    hours = [(p.consultation.answered_at - p.match.created_at).total_seconds() / 3600
             for p in accepted]
    outcomes = {status: n for status, n in MatchRequest.select(
        MatchRequest.status, fn.COUNT(MatchRequest.id)).where(
        MatchRequest.created_at >= since).group_by(MatchRequest.status).tuples()}
    per_day = {}
    for (created,) in MatchRequest.select(MatchRequest.created_at).where(
            MatchRequest.created_at >= since).tuples():
        per_day[created.date()] = per_day.get(created.date(), 0) + 1
    series = [((since + datetime.timedelta(days=i + 1)).date(),
               per_day.get((since + datetime.timedelta(days=i + 1)).date(), 0))
              for i in range(days)]
    return {
        "open": open_.count(),
        "proposed": MatchRequest.select().where(MatchRequest.status == PROPOSED).count(),
        "overdue": open_.where(MatchRequest.due_at < now).count(),
        "by_origin": by_origin,
        "oldest": oldest,
        "median_hours_to_match": round(statistics.median(hours)) if hours else None,
        "matched_count": len(hours),
        "outcomes": outcomes,
        "series": series,
    }
