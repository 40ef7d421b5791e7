"""A provider running their own listing: edits go live when saved; hiding never deletes."""
from alma import geo
from alma.clock import today, utcnow
from alma.db import db
from alma.directory import service as directory
from alma.network.models import (AGE_GROUPS, Language, Modality, ProviderLanguage,
                                 ProviderModality, ProviderSpecialty, Specialty)


class ListingProblem(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def current_choices(provider):
    """The provider's listing as the form's values."""
    def slugs(link, attr):
        return [getattr(row, attr).slug for row in link.select().where(
            link.provider == provider.id)]
    return dict(
        pronouns=provider.pronouns, bio=provider.bio, approach=provider.approach,
        specialties=slugs(ProviderSpecialty, "specialty"),
        modalities=slugs(ProviderModality, "modality"),
        languages=slugs(ProviderLanguage, "language"),
        ages=[key for key, (column, _) in AGE_GROUPS.items() if getattr(provider, column)],
        offers_telehealth=provider.offers_telehealth, offers_in_person=provider.offers_in_person,
        office_zip=provider.office_zip,
        cash_rate=provider.cash_rate_cents // 100 if provider.cash_rate_cents else None,
        sliding_scale=provider.sliding_scale,
        sliding_scale_min=provider.sliding_scale_min_cents // 100
        if provider.sliding_scale_min_cents else None,
        accepting_new_clients=provider.accepting_new_clients,
        weekly_caseload_cap=provider.weekly_caseload_cap,
        cancellation_policy=provider.cancellation_policy,
        contact_by_email=provider.contact_by_email, contact_by_text=provider.contact_by_text)


def apply_changes(provider, values, vocabulary):
    """Set the provider's fields from the form's values (not saved)."""
    provider.pronouns = (values["pronouns"] or "").strip() or None
    provider.bio = (values["bio"] or "").strip()
    provider.approach = (values["approach"] or "").strip()
    for key, (column, _) in AGE_GROUPS.items():
        setattr(provider, column, key in values["ages"])
    provider.offers_telehealth = values["offers_telehealth"]
    provider.offers_in_person = values["offers_in_person"]
    if values["office_zip"]:
        place = geo.lookup_zip(values["office_zip"])
        if place is None:
            raise ListingProblem("We don't know that zip code.", field="office_zip")
        provider.office_zip, provider.office_city = place.zip, place.city
        provider.office_state = place.state
        provider.latitude, provider.longitude = place.latitude, place.longitude
    provider.cash_rate_cents = values["cash_rate"] * 100 if values["cash_rate"] else None
    provider.sliding_scale = bool(values["sliding_scale"] and provider.cash_rate_cents)
    provider.sliding_scale_min_cents = values["sliding_scale_min"] * 100 \
        if provider.sliding_scale and values["sliding_scale_min"] else None
    if values["accepting_new_clients"] != provider.accepting_new_clients or \
            values["accepting_new_clients"]:
        provider.accepting_confirmed_on = today()  # saying so is confirming it
    provider.accepting_new_clients = values["accepting_new_clients"]
    provider.weekly_caseload_cap = values["weekly_caseload_cap"]
    provider.cancellation_policy = (values["cancellation_policy"] or "").strip()
    provider.contact_by_email = values["contact_by_email"]
    provider.contact_by_text = values["contact_by_text"]
    return provider


def save_listing(provider, values, vocabulary):
    with db.atomic():
        apply_changes(provider, values, vocabulary)
        provider.updated_at = utcnow()
        provider.save()
        for link, model, attr, chosen in (
                (ProviderSpecialty, Specialty, "specialty", values["specialties"]),
                (ProviderModality, Modality, "modality", values["modalities"]),
                (ProviderLanguage, Language, "language", values["languages"])):
            link.delete().where(link.provider == provider.id).execute()
            rows = list(model.select().where(model.slug.in_(chosen or [""])))
            for row in rows:
                link.create(provider=provider, **{attr: row})
        directory.reindex([provider.id])
    return provider


def missing_for_directory(provider):
    """What a listing needs before clients can see it, in words."""
    missing = []
    if len(provider.bio or "") < 80:
        missing.append("a few sentences about you (at least 80 characters)")
    if not ProviderSpecialty.select().where(ProviderSpecialty.provider == provider.id).exists():
        missing.append("at least one thing you help with")
    if provider.cash_rate_cents is None and not provider.participations.exists():
        missing.append("a self-pay rate (or an insurance network)")
    return missing


def set_visible(provider, visible):
    if visible:
        missing = missing_for_directory(provider)
        if missing:
            raise ListingProblem("Before your listing shows, add " + "; ".join(missing) + ".")
    with db.atomic():
        provider.listing_hidden = not visible
        provider.updated_at = utcnow()
        provider.save()
        directory.reindex([provider.id])
