"""Every model of every feature, in one list (for schema checks and tooling)."""
from alma.accounts.models import MODELS as ACCOUNT_MODELS
from alma.audit import MODELS as AUDIT_MODELS
from alma.billing.models import MODELS as BILLING_MODELS
from alma.consultations.models import MODELS as CONSULTATION_MODELS
from alma.directory.models import MODELS as DIRECTORY_MODELS
from alma.geo import MODELS as GEO_MODELS
from alma.insurance.models import MODELS as INSURANCE_MODELS
from alma.mail.models import MODELS as MAIL_MODELS
from alma.matching.models import MODELS as MATCHING_MODELS
from alma.membership.models import MODELS as MEMBERSHIP_MODELS
from alma.network.models import MODELS as NETWORK_MODELS

ALL_MODELS = [*NETWORK_MODELS, *DIRECTORY_MODELS, *MAIL_MODELS, *ACCOUNT_MODELS, *CONSULTATION_MODELS,
              *AUDIT_MODELS, *MATCHING_MODELS, *MEMBERSHIP_MODELS, *BILLING_MODELS,
              *INSURANCE_MODELS, *GEO_MODELS]
