"""The program's clients: moving a provider's existing clients in (no account needed),
taking them out, the provider's fees for sessions they miss, and the worker that keeps
every program client's benefit check fresh.
"""
import datetime
import re

from peewee import IntegrityError

from alma import audit
from alma.benefits import checks
from alma.clock import today, utcnow
from alma.db import db
from alma.jobs import stop_requested
from alma.mail import service as mail
from alma.network.group import approved_payers
from alma.network.models import Client, Payer, ProgramClient
from alma.program.problems import ProgramProblem
from alma.x12text import clean_text

ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
# A program client's check is re-checked when it is this old: a visit needs one made
# within 30 days before it (claims), so one is always fresh.
RECHECK_AFTER_DAYS = 25


def program_client_or_none(provider, program_client_id):
    """The provider's own program client, or None (another's is never found)."""
    return ProgramClient.get_or_none((ProgramClient.id == program_client_id)
                                     & (ProgramClient.provider == provider.id))


def current_clients(provider):
    return list(ProgramClient.select(ProgramClient, Payer).join(Payer)
                .where((ProgramClient.provider == provider.id)
                       & ProgramClient.removed_at.is_null())
                .order_by(ProgramClient.last_name, ProgramClient.first_name))


def _claimable_text(values):
    """Names and address as a claim will carry them: each must keep some letters."""
    for field in ("first_name", "last_name", "address", "city"):
        if not clean_text(values[field]).strip():
            raise ProgramProblem("Write this in English letters, as on the insurance card: "
                                 "claims can carry nothing else.", field)


def move_in(provider, values, tell, actor=None, on=None):
    """Add an existing client of the provider's to the program; no account is needed.

    `values`: first_name, last_name, email, date_of_birth, gender, member_id, payer (a
    Payer), address, city, state, zip, diagnosis_code.
    """
    on = on or today()
    payer = values["payer"]
    if payer.id not in {p.id for p in approved_payers(provider, on)}:
        raise ProgramProblem(f"You aren't credentialed for {payer.name} members through Alma "
                             "yet. Once a payer approves you, you can add their members.",
                             "payer")
    diagnosis = values["diagnosis_code"].strip().upper()
    if not ICD10.match(diagnosis):
        raise ProgramProblem("Enter an ICD-10 code, like F41.1.", "diagnosis_code")
    if values["date_of_birth"] >= on:
        raise ProgramProblem("The date of birth must be in the past.", "date_of_birth")
    if values["date_of_birth"] < on - datetime.timedelta(days=120 * 366):
        raise ProgramProblem("Check the date of birth: it is more than 120 years ago.",
                             "date_of_birth")
    _claimable_text(values)
    member_id = values["member_id"].strip().upper()
    email = values["email"].strip().lower()
    try:
        return _move_in(provider, values, tell, actor, payer, diagnosis, member_id, email)
    except IntegrityError:  # the same client, added twice at once
        raise ProgramProblem("This client is in the program already with this member ID.",
                             "member_id") from None


def _move_in(provider, values, tell, actor, payer, diagnosis, member_id, email):
    with db.atomic():
        existing = ProgramClient.get_or_none(
            (ProgramClient.provider == provider.id) & (ProgramClient.payer == payer.id)
            & (ProgramClient.member_id == member_id))
        if existing is not None and existing.removed_at is None:
            raise ProgramProblem(f"{existing.name} is in the program already with this "
                                 "member ID.", "member_id")
        client = _record_client(provider, email,
                                f"{values['first_name'].strip()} {values['last_name'].strip()}",
                                values["state"])
        fields = dict(client=client, first_name=values["first_name"].strip(),
                      last_name=values["last_name"].strip(),
                      date_of_birth=values["date_of_birth"], gender=values["gender"],
                      address=values["address"].strip(), city=values["city"].strip(),
                      state=values["state"], zip=values["zip"].strip(),
                      diagnosis_code=diagnosis, removed_at=None, added_via="moved_in")
        if existing is not None:  # back after leaving the program: the same record again
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save()
            program_client = existing
        else:
            program_client = ProgramClient.create(provider=provider, payer=payer,
                                                  member_id=member_id, **fields)
        audit.record("created", "program_client", program_client.id, client=client.id,
                     actor=actor)
        if tell:
            program_client.told_at = utcnow()
            program_client.save()
            mail.queue("program_client_welcome", email,
                       dedupe_key=f"program-client:{program_client.id}:welcome:"
                                  f"{program_client.told_at:%Y%m%d}",
                       program_client=program_client, provider=provider, payer=payer)
    return program_client


def _record_client(provider, email, name, state):
    """The provider's own record of the client with this email, named as they typed it now.

    Never another provider's or the client's own record: whatever anyone else typed with
    this email stays theirs, and this provider learns none of it.
    """
    client = Client.known_to(provider, email)
    if client is None:
        try:
            with db.atomic():
                return Client.create(email=email, name=name, state=state, known_by=provider)
        except IntegrityError:  # recorded by this provider's other tab a moment ago
            client = Client.known_to(provider, email)
    client.name, client.state = name, state
    client.save(only=[Client.name, Client.state])
    return client


def remove(program_client, actor=None):
    with db.atomic():
        program_client.removed_at = utcnow()
        program_client.save()
        audit.record("removed", "program_client", program_client.id,
                     client=program_client.client_id, actor=actor)


def set_fees(provider, late_cancel_cents, no_show_cents):
    for cents in (late_cancel_cents, no_show_cents):
        if cents is not None and not 0 < cents <= 50_000:
            raise ProgramProblem("A fee is between $1 and $500, or left empty for none.")
    provider.late_cancel_fee_cents = late_cancel_cents
    provider.no_show_fee_cents = no_show_cents
    provider.save(only=[type(provider).late_cancel_fee_cents,
                        type(provider).no_show_fee_cents])


def recheck_program_clients():
    """The worker: keep every program client's check fresh, so a visit is always billable.

    A client is due when their last re-check was taken more than 25 days ago (or never).
    Each is claimed with a conditional UPDATE, committed before the clearinghouse is asked
    (no transaction is held open over the network), so several workers never pay for the
    same check. A check that fails gives the claim back, to be tried on the next run.
    """
    stale = utcnow() - datetime.timedelta(days=RECHECK_AFTER_DAYS)
    due = (ProgramClient.removed_at.is_null()
           & (ProgramClient.check_claimed_at.is_null()
              | (ProgramClient.check_claimed_at < stale)))
    done = 0
    for program_client_id in [row.id for row in ProgramClient.select(ProgramClient.id)
                              .where(due).order_by(ProgramClient.id)]:
        if stop_requested():
            break
        with db.atomic():
            before = ProgramClient.get_by_id(program_client_id).check_claimed_at
            won = (ProgramClient.update(check_claimed_at=utcnow())
                   .where((ProgramClient.id == program_client_id) & due).execute())
        if won != 1:
            continue
        try:
            checks.check_for_program_client(ProgramClient.get_by_id(program_client_id))
            done += 1
        except (checks.CheckUnavailable, ProgramProblem):
            (ProgramClient.update(check_claimed_at=before)
             .where(ProgramClient.id == program_client_id).execute())
    return done
