"""The program's clients and their sessions: moving clients in, logging a visit, the claim
at the group's fee schedule, and the client's share invoiced by the group.

A late cancellation or a no-show is never billed to the insurer. If the provider's policy
has a fee for it, the provider invoices it (collected by the provider, and marked so).
"""
import datetime
import re

from flask import current_app
from peewee import IntegrityError, fn

from alma import audit
from alma.billing import service as billing
from alma.clock import today, utcnow
from alma.db import db, is_postgres
from alma.insurance import benefits, x12
from alma.insurance.models import (ATTENDED, CPT_CODES, LATE_CANCEL, NO_SHOW, Claim, ProgramClient,
                                   Visit)
from alma.insurance.responsibility import Terms, share
from alma.insurance.service import (ProgramProblem, approved_payers, in_network_via_group,
                                    network_of)
from alma.mail import service as mail
from alma.network.models import Client, License, Payer
from alma.templating import money

ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
TIMELY_FILING_DAYS = 90
CLIENT_INVOICE_DUE_DAYS = 14
TAXONOMY = {"LCSW": "1041C0700X", "LICSW": "1041C0700X", "LMFT": "106H00000X",
            "LMHC": "101YM0800X", "LPC": "101YP2500X", "LPCC": "101YP2500X",
            "PsyD": "103TC0700X", "PhD": "103TC0700X", "MD": "2084P0800X",
            "PMHNP": "363LP0808X"}


def program_client_or_none(provider, program_client_id):
    """The provider's own program client, or None (another's is never found)."""
    return ProgramClient.get_or_none((ProgramClient.id == program_client_id)
                                     & (ProgramClient.provider == provider.id))


def current_clients(provider):
    return list(ProgramClient.select(ProgramClient, Payer).join(Payer)
                .where((ProgramClient.provider == provider.id)
                       & ProgramClient.removed_at.is_null())
                .order_by(ProgramClient.last_name, ProgramClient.first_name))


def loggable_clients(provider):
    """Clients a session may be logged for: those in the program, and those who left it in
    the last 90 days (a session held while they were in may still be billed)."""
    since = utcnow() - datetime.timedelta(days=TIMELY_FILING_DAYS)
    return list(ProgramClient.select(ProgramClient, Payer).join(Payer)
                .where((ProgramClient.provider == provider.id)
                       & (ProgramClient.removed_at.is_null()
                          | (ProgramClient.removed_at >= since)))
                .order_by(ProgramClient.last_name, ProgramClient.first_name))


def _claimable_text(values):
    """Names and address as a claim will carry them: each must keep some letters."""
    for field in ("first_name", "last_name", "address", "city"):
        if not x12.clean_text(values[field]).strip():
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


def place_of_service(telehealth):
    # 10: telehealth with the client at home; 11: the office. Paid the same either way.
    return "10" if telehealth else "11"


def modifiers(telehealth):
    return ["95"] if telehealth else []


def log_visit(provider, program_client, held_on, cpt_code, telehealth, attendance,
              charge_fee=True, actor=None, on=None):
    """Log a session. Attended and billable: a claim and the client's share invoiced.

    Returns the visit; `visit.billing_note` says in words what was (or wasn't) billed.
    """
    on = on or today()
    if program_client.provider_id != provider.id:
        raise ProgramProblem("Choose one of your program clients.", "client")
    if cpt_code not in CPT_CODES:
        raise ProgramProblem("Choose a service code from the list.", "cpt_code")
    if attendance not in (ATTENDED, LATE_CANCEL, NO_SHOW):
        raise ProgramProblem("Say whether the client attended.", "attendance")
    if held_on > on:
        raise ProgramProblem("Log a session once it has happened.", "held_on")
    if (on - held_on).days > TIMELY_FILING_DAYS:
        raise ProgramProblem("Insurers refuse claims for sessions more than 90 days ago.",
                             "held_on")
    if program_client.removed_at is not None and held_on >= program_client.removed_at.date():
        raise ProgramProblem(f"{program_client.name} left the program on "
                             f"{program_client.removed_at:%B %-d, %Y}: only sessions before "
                             "then are billed through Alma.", "held_on")
    logged_already = ProgramProblem("This session is logged already.", "held_on")
    with db.atomic():
        # One session at a time per client: each claim counts the deductible and
        # out-of-pocket spending of the claims before it.
        query = ProgramClient.select().where(ProgramClient.id == program_client.id)
        if is_postgres():
            query.for_update().get()
        if Visit.select().where((Visit.program_client == program_client.id)
                                & (Visit.held_on == held_on)
                                & (Visit.cpt_code == cpt_code)).exists():
            raise logged_already
        try:
            with db.atomic():
                visit = Visit.create(provider=provider, program_client=program_client,
                                     held_on=held_on, cpt_code=cpt_code,
                                     telehealth=telehealth, attendance=attendance)
        except IntegrityError:  # the same session, logged twice at once
            raise logged_already from None
        if attendance == ATTENDED:
            _bill_insurer(visit, provider, program_client)
        else:
            _provider_fee(visit, provider, program_client, charge_fee)
        visit.save()
        audit.record("created", "visit", visit.id, client=program_client.client_id, actor=actor)
        return visit


def _bill_insurer(visit, provider, program_client):
    payer = program_client.payer
    if not in_network_via_group(provider, payer, visit.held_on):
        visit.billing_note = (f"Not billed: you weren't in network with {payer.name} through "
                              f"Alma on {visit.held_on:%B %-d, %Y}.")
        return
    check = benefits.check_for_visit(program_client, visit.held_on)
    if check is None:
        visit.billing_note = ("Not billed to insurance: the client's benefits weren't checked "
                              "at least one business day before this session. Check them "
                              "before each session (the worker does every few weeks).")
        return
    visit.eligibility_check = check
    if check.outcome != "active":
        visit.billing_note = ("Not billed: the benefit check before this session found no "
                              "active mental-health coverage.")
        return
    if check.coverage_ends_on is not None and check.coverage_ends_on < visit.held_on:
        visit.billing_note = (f"Not billed: the client's coverage ended on "
                              f"{check.coverage_ends_on:%B %-d, %Y}, before this session.")
        return
    config = current_app.config
    if not (config["GROUP_TAX_ID"] and config["GROUP_NPI"]):
        raise ProgramProblem("The group's Tax ID and NPI aren't set up on this site, so no "
                             "claim can be made. Tell the Alma team.")
    allowed = benefits.allowed_cents(payer, visit.cpt_code, visit.held_on)
    if allowed is None:
        visit.billing_note = f"Not billed: the group has no {payer.name} rate for this code."
        return
    part = share(allowed, _terms_left(check, program_client))
    claim = Claim.create(
        visit=visit, payer=payer, charge_cents=allowed, allowed_cents=allowed,
        deductible_cents=part.deductible_cents, coinsurance_cents=part.coinsurance_cents,
        copay_cents=part.copay_cents, patient_share_cents=part.total_cents,
        place_of_service=place_of_service(visit.telehealth),
        modifiers=",".join(modifiers(visit.telehealth)), x12="")
    try:
        claim.x12 = x12.claim_837p(claim_data(claim, visit, provider, program_client, check))
    except x12.ClaimDataProblem as problem:  # nothing is kept: the transaction is undone
        raise ProgramProblem(f"No claim could be made: {problem}. Correct the client's "
                             "details, then log the session again.", "client") from None
    claim.save()
    if part.total_cents == 0:
        visit.billing_note = (f"Claim for {money(allowed)} made; the client owes nothing for "
                              "this session.")
        return
    lines = [(label, 1, cents) for label, cents in (
        ("Deductible", part.deductible_cents), ("Coinsurance", part.coinsurance_cents),
        ("Copay", part.copay_cents)) if cents]
    kind = ("copay" if part.copay_cents else "coinsurance" if part.coinsurance_cents
            else "deductible")
    what = f"{CPT_CODES[visit.cpt_code]} on {visit.held_on:%B %-d, %Y} with {provider.full_name}"
    invoice = billing.issue(
        kind, [(f"{label}: {what}", q, c) for label, q, c in lines],
        due_on=today() + datetime.timedelta(days=CLIENT_INVOICE_DUE_DAYS),
        owed_by_client=program_client.client, collected_by="group",
        treating_provider=provider, email_to=program_client.client.email,
        memo=f"Your share under your {payer.name} benefits. Your insurer is billed for the "
             f"rest ({money(part.insurer_cents)}).")
    visit.invoice = invoice
    visit.billing_note = (f"Claim for {money(allowed)} made; the client was invoiced "
                          f"{money(part.total_cents)} ({invoice.kind_label.lower()}).")


def _terms_left(check, program_client):
    """The check's benefits, less what earlier claims under it already used: their
    deductible from what was left of it, their client shares from the out-of-pocket left."""
    used_deductible, used_share = (
        Claim.select(fn.COALESCE(fn.SUM(Claim.deductible_cents), 0),
                     fn.COALESCE(fn.SUM(Claim.patient_share_cents), 0))
        .join(Visit).where((Visit.program_client == program_client.id)
                           & (Visit.eligibility_check == check.id)).tuples().get())
    terms = Terms.of(check)

    def less(left, used):
        return None if left is None else max(0, left - used)
    return Terms(terms.copay_cents, terms.coinsurance_bp,
                 less(terms.deductible_remaining_cents, used_deductible),
                 less(terms.oop_remaining_cents, used_share))


def _provider_fee(visit, provider, program_client, charge_fee):
    fee = (provider.late_cancel_fee_cents if visit.attendance == LATE_CANCEL
           else provider.no_show_fee_cents)
    what = "late cancellation" if visit.attendance == LATE_CANCEL else "missed session"
    if not fee or not charge_fee:
        visit.billing_note = f"Not billed: a {what} is never billed to the insurer."
        return
    kind = "cancellation_fee" if visit.attendance == LATE_CANCEL else "missed_visit"
    invoice = billing.issue(
        kind, [(f"Fee for a {what} on {visit.held_on:%B %-d, %Y}, under "
                f"{provider.full_name}'s cancellation policy", 1, fee)],
        due_on=today() + datetime.timedelta(days=CLIENT_INVOICE_DUE_DAYS),
        owed_by_client=program_client.client, collected_by="provider",
        collecting_provider=provider, treating_provider=provider,
        email_to=program_client.client.email,
        memo=f"From {provider.full_name}'s practice, under the cancellation policy you agreed "
             "to. Your insurer is not billed for this.")
    visit.invoice = invoice
    visit.billing_note = (f"Never billed to the insurer. You invoiced your {what} fee of "
                          f"{money(fee)}; you collect it.")


def _taxonomy(provider):
    for licence in License.select().where(License.provider == provider.id):
        if licence.license_type in TAXONOMY:
            return TAXONOMY[licence.license_type]
    return "101YP2500X"


def _claim_payer(program_client, check):
    """(name, payer id) the claim goes to: the plan's payer, or the behavioural-health
    administrator the plan carves mental-health benefits out to."""
    if check.carved_out_from and check.carve_out_payer_id:
        return check.carve_out_name or "Behavioral health administrator", \
            check.carve_out_payer_id
    payer = program_client.payer
    return payer.name, (payer.clearinghouse_payer_id
                        or network_of(payer).clearinghouse_payer_id or payer.slug.upper())


def claim_data(claim, visit, provider, program_client, check):
    config = current_app.config
    payer_name, payer_id = _claim_payer(program_client, check)
    return x12.ClaimData(
        interchange_control_number=claim.id, created_at=claim.created_at,
        test=config["ALMA_ENV"] != "production",
        group_name=config["GROUP_NAME"], group_tax_id=config["GROUP_TAX_ID"],
        group_npi=config["GROUP_NPI"], group_address=config["GROUP_ADDRESS"],
        group_city=config["GROUP_CITY"], group_state=config["GROUP_STATE"],
        group_zip=config["GROUP_ZIP"], group_phone=config["GROUP_PHONE"],
        contact_name="Billing", payer_name=payer_name, payer_id=payer_id,
        provider_first_name=provider.first_name, provider_last_name=provider.last_name,
        provider_npi=provider.npi, provider_taxonomy=_taxonomy(provider),
        subscriber_first_name=program_client.first_name,
        subscriber_last_name=program_client.last_name, member_id=program_client.member_id,
        date_of_birth=program_client.date_of_birth, gender=program_client.gender,
        subscriber_address=program_client.address, subscriber_city=program_client.city,
        subscriber_state=program_client.state, subscriber_zip=program_client.zip,
        claim_id=f"AL{claim.id:08d}", diagnosis_code=program_client.diagnosis_code,
        service_date=visit.held_on, cpt_code=visit.cpt_code,
        modifiers=modifiers(visit.telehealth),
        place_of_service=place_of_service(visit.telehealth), charge_cents=claim.charge_cents)


def visits(provider, limit=100):
    return list(Visit.select(Visit, ProgramClient).join(ProgramClient)
                .where(Visit.provider == provider.id)
                .order_by(Visit.held_on.desc(), Visit.id.desc()).limit(limit))
