"""Small builders for test data. Each returns saved rows and reindexes the directory."""
import datetime
import itertools

from stdnum import luhn

from alma.clock import today
from alma.directory import service
from alma.network import vocab
from alma.network.models import (Language, License, Modality, NetworkParticipation, Payer,
                                 Provider, ProviderLanguage, ProviderModality, ProviderSpecialty,
                                 ServiceState, Specialty)

_sequence = itertools.count(1)


def npi_for(n):
    first_nine = f"1{n:08d}"
    return first_nine + luhn.calc_check_digit("80840" + first_nine)


def operate_in(*codes):
    ServiceState.update(operating=True, launched_on=today()).where(
        ServiceState.code.in_(codes)).execute()
    vocab.forget()


def payer(slug):
    return Payer.get(Payer.slug == slug)


def provider(first_name="Maya", last_name=None, state="CA", license_type="LCSW",
             level="full", expires_on=None, accepting=True, confirmed_days_ago=2,
             payers=(), specialties=(), modalities=(), languages=("english",),
             zip_code="94110", latitude=37.7486, longitude=-122.4184, city="San Francisco",
             extra_states=(), under_supervision=False, reindex=True, **fields):
    """A listed provider (unless told otherwise), licensed in `state`."""
    n = next(_sequence)
    last_name = last_name or f"Tester{n}"
    values = dict(
        slug=f"{first_name}-{last_name}-{n}".lower(), first_name=first_name,
        last_name=last_name, email=f"provider{n}@example.com", npi=npi_for(n),
        gender="woman", pronouns="she/her", bio=f"{first_name} helps adults with anxiety.",
        approach="Cognitive behavioral therapy and plain talk.", office_zip=zip_code,
        office_city=city, office_state=state, latitude=latitude, longitude=longitude,
        offers_telehealth=True, offers_in_person=True, cash_rate_cents=15000,
        accepting_new_clients=accepting,
        accepting_confirmed_on=today() - datetime.timedelta(days=confirmed_days_ago),
        cancellation_policy="24 hours' notice, please.",
    )
    values.update(fields)
    p = Provider.create(**values)
    expiry = expires_on or today() + datetime.timedelta(days=365)
    for code in (state, *extra_states):
        License.create(provider=p, state=code, license_type=license_type,
                       number=f"{license_type}-{code}-{n}", level=level, expires_on=expiry,
                       under_supervision=under_supervision,
                       supervisor_name="Dr. Jordan Ellis" if under_supervision else None)
    for slug in payers:
        NetworkParticipation.create(provider=p, payer=payer(slug), via="group",
                                    starts_on=today() - datetime.timedelta(days=100))
    for model, link, attr, slugs in (
            (Specialty, ProviderSpecialty, "specialty", specialties),
            (Modality, ProviderModality, "modality", modalities),
            (Language, ProviderLanguage, "language", languages)):
        for slug in slugs:
            link.create(provider=p, **{attr: model.get(model.slug == slug)})
    if reindex:
        service.reindex([p.id])
    return p


def user_for(provider, password=None):
    from alma.accounts import passwords
    from alma.accounts.models import User

    return User.create(email=provider.email, name=provider.full_name, provider=provider,
                       password_hash=passwords.hash_password(password) if password else None)


def sign_in(client, user, password):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/sign-in"))
    response = client.post("/sign-in", data={"email": user.email, "password": password,
                                             "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response
