"""Every model of every feature, in one list (for schema checks and tooling)."""
from alma.accounts.models import MODELS as ACCOUNT_MODELS
from alma.audit import MODELS as AUDIT_MODELS
from alma.benefits.models import MODELS as BENEFIT_MODELS
from alma.benefits.outcomes import MODELS as OUTCOME_MODELS
from alma.billing.models import MODELS as BILLING_MODELS
from alma.billing.transfers import MODELS as TRANSFER_MODELS
from alma.claims.models import MODELS as CLAIM_MODELS
from alma.claims.queue_models import MODELS as CLAIM_QUEUE_MODELS
from alma.claims.reconcile_models import MODELS as RECONCILE_MODELS
from alma.claims.remittance_models import MODELS as REMITTANCE_MODELS
from alma.consultations.models import MODELS as CONSULTATION_MODELS
from alma.directory.models import MODELS as DIRECTORY_MODELS
from alma.geo import MODELS as GEO_MODELS
from alma.mail.models import MODELS as MAIL_MODELS
from alma.matching.models import MODELS as MATCHING_MODELS
from alma.membership.models import MODELS as MEMBERSHIP_MODELS
from alma.network.models import MODELS as NETWORK_MODELS
from alma.payouts.models import MODELS as PAYOUT_MODELS
from alma.program.models import MODELS as PROGRAM_MODELS
from alma.selfpay.models import MODELS as SELFPAY_MODELS

ALL_MODELS = [*NETWORK_MODELS, *DIRECTORY_MODELS, *MAIL_MODELS, *ACCOUNT_MODELS,
              *CONSULTATION_MODELS, *AUDIT_MODELS, *MATCHING_MODELS, *MEMBERSHIP_MODELS,
              *BILLING_MODELS, *PROGRAM_MODELS, *BENEFIT_MODELS, *CLAIM_MODELS,
              *REMITTANCE_MODELS, *GEO_MODELS, *OUTCOME_MODELS, *RECONCILE_MODELS,
              *TRANSFER_MODELS, *PAYOUT_MODELS, *CLAIM_QUEUE_MODELS, *SELFPAY_MODELS]
