"""Every model of every feature, in one list (for schema checks and tooling)."""
from alma.directory.models import MODELS as DIRECTORY_MODELS

ALL_MODELS = [*DIRECTORY_MODELS]
