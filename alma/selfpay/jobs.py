"""The reminder that keeps a good-faith estimate from being late: on the business day
before its deadline (45 CFR 149.610), the provider is emailed, once."""
from alma.clock import today, utcnow
from alma.jobs import claim_each
from alma.mail import service as mail
from alma.selfpay.models import SelfPayClient
from alma.web import absolute_url


def remind_estimates_due(on=None):
    on = on or today()
    due = (SelfPayClient.gfe_wanted & SelfPayClient.gfe_due_on.is_null(False)
           & (SelfPayClient.gfe_remind_on <= on) & SelfPayClient.gfe_reminded_at.is_null())

    def remind(spc):
        mail.queue("gfe_due", spc.provider.email,
                   dedupe_key=f"self-pay:{spc.id}:gfe-due:{spc.gfe_arose_on}:{spc.gfe_due_on}",
                   spc=spc, provider=spc.provider, late=spc.gfe_due_on < on,
                   page=absolute_url("selfpay.client_page", spc_id=spc.id))

    return claim_each(SelfPayClient, due, {SelfPayClient.gfe_reminded_at: utcnow()}, remind)
