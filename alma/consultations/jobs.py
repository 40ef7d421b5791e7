"""Follow-ups that make an unanswered request impossible to miss.

- after 48 hours without an answer, the provider is reminded;
- after 3 days, the client gets up to three other providers and the matching
  team takes the client into its queue (the request stays open for the provider);
  a request the team made goes back to the team's queue;
- after 14 days, the request expires and the client is told.
The delays are settings (see alma/config.py).
"""
import datetime

from flask import current_app

from alma.clock import utcnow
from alma.consultations import events, service
from alma.consultations.models import EXPIRED, PENDING, ConsultationRequest
from alma.jobs import claim_each
from alma.mail import service as mail
from alma.web import absolute_url

Request = ConsultationRequest


def remind_providers(now=None):
    now = now or utcnow()
    cutoff = now - datetime.timedelta(hours=current_app.config["REMIND_PROVIDER_AFTER_HOURS"])
    due = ((Request.status == PENDING) & Request.provider_reminded_at.is_null()
           & (Request.created_at <= cutoff))

    def remind(request):
        mail.queue("provider_reminder", request.provider.email,
                   dedupe_key=f"consultation:{request.id}:reminder", request=request,
                   provider=request.provider, client=request.client,
                   inbox_url=absolute_url("inbox.request", request_id=request.id))

    return claim_each(Request, due, {Request.provider_reminded_at: now}, remind)


def suggest_others(now=None):
    now = now or utcnow()
    cutoff = now - datetime.timedelta(days=current_app.config["SUGGEST_OTHERS_AFTER_DAYS"])
    due = ((Request.status == PENDING) & Request.others_suggested_at.is_null()
           & (Request.created_at <= cutoff))

    def suggest(request):
        events.unanswered.send(request)
        if request.source == "matching":
            return  # the team picks the next provider; the client hears from them
        mail.queue("others_suggested", request.client.email,
                   dedupe_key=f"consultation:{request.id}:others", request=request,
                   client=request.client, provider=request.provider,
                   others=service.other_providers(request))

    return claim_each(Request, due, {Request.others_suggested_at: now}, suggest)


def expire_requests(now=None):
    now = now or utcnow()
    cutoff = now - datetime.timedelta(days=current_app.config["EXPIRE_REQUEST_AFTER_DAYS"])
    due = (Request.status == PENDING) & (Request.created_at <= cutoff)
    return claim_each(Request, due, {Request.status: EXPIRED, Request.closed_at: now},
                      service.expire)
