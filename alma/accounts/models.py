"""People who sign in (providers now, the team later), and the links we email them."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Provider


class User(BaseModel):
    email = CharField(unique=True)  # stored lower-cased
    name = CharField()
    password_hash = CharField(null=True)  # argon2id; None until they choose one
    provider = ForeignKeyField(Provider, null=True, unique=True, on_delete="CASCADE")
    # Raising it ends every session of this user (sign-out everywhere).
    session_version = IntegerField(default=1)
    active = BooleanField(default=True)
    # Team roles, comma-separated: matching, growth, credentialing, billing, admin.
    roles = CharField(default="")
    # Wrong passwords in a row; from the 10th, password sign-in pauses (service.py).
    failed_sign_ins = IntegerField(default=0)
    password_paused_until = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_signed_in_at = DateTimeField(null=True)
    # A team member's time zone (an IANA name), for the times they are shown: onboarding calls.
    time_zone = CharField(max_length=64, null=True)

    @property
    def role_set(self):
        return {role for role in self.roles.split(",") if role}

    def has_role(self, *roles):
        return bool(self.role_set & set(roles))

    @property
    def is_team(self):
        return bool(self.role_set)

    # flask-login's interface
    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return f"{self.id}:{self.session_version}"


class EmailLink(BaseModel):
    """A single-use, expiring link. Only a hash of its token is kept."""

    token_hash = CharField(max_length=64, unique=True)
    purpose = CharField(max_length=32)
    subject_id = IntegerField()  # what the link is about (a user, a request…)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


MODELS = [User, EmailLink]
