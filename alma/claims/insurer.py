"""Billing the insurer for an attended session: the benefit check it is billed under, the
claim at the group's rate with its 837P, and the client's share (patient responsibility,
less what earlier claims under the same check used) invoiced by the group.
"""
import datetime

from flask import current_app
from peewee import fn

from alma.benefits.estimates import allowed_cents
from alma.benefits.models import CPT_CODES, EligibilityCheck
from alma.benefits.responsibility import Terms, share
from alma.billing import service as billing
from alma.claims import x12
from alma.claims.models import Claim, Visit, control_number_of
from alma.clock import today
from alma.network.group import in_network_via_group, network_of
from alma.network.models import License
from alma.program.problems import ProgramProblem
from alma.templating import money

# A check is good for billing from the next business day, for this long.
CHECK_GOOD_FOR_DAYS = 30
CLIENT_INVOICE_DUE_DAYS = 14
TAXONOMY = {"LCSW": "1041C0700X", "LICSW": "1041C0700X", "LMFT": "106H00000X",
            "LMHC": "101YM0800X", "LPC": "101YP2500X", "LPCC": "101YP2500X",
            "PsyD": "103TC0700X", "PhD": "103TC0700X", "MD": "2084P0800X",
            "PMHNP": "363LP0808X"}


def previous_business_day(day):
    day -= datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def check_for_visit(program_client, held_on):
    """The latest check that lets a visit on `held_on` be billed: made at least one business
    day before it, and not more than 30 days before. None if there is none."""
    latest_day = previous_business_day(held_on)
    earliest = held_on - datetime.timedelta(days=CHECK_GOOD_FOR_DAYS)
    return (EligibilityCheck.select()
            .where((EligibilityCheck.program_client == program_client.id)
                   & (EligibilityCheck.checked_at < datetime.datetime.combine(
                       latest_day + datetime.timedelta(days=1), datetime.time()))
                   & (EligibilityCheck.checked_at >= datetime.datetime.combine(
                       earliest, datetime.time())))
            .order_by(EligibilityCheck.checked_at.desc()).first())


def bill_insurer(visit, provider, program_client):
    """Make the claim for an attended visit, or say in `visit.billing_note` why not."""
    payer = program_client.payer
    if not in_network_via_group(provider, payer, visit.held_on):
        visit.billing_note = (f"Not billed: you weren't in network with {payer.name} through "
                              f"Alma on {visit.held_on:%B %-d, %Y}.")
        return
    check = check_for_visit(program_client, visit.held_on)
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
    allowed = allowed_cents(payer, visit.cpt_code, visit.held_on)
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
                           & (Visit.eligibility_check == check.id)
                           # one estimate per visit: a later claim for it (corrected,
                           # replacement, void) is the same session, not more spending
                           & Claim.replaces.is_null()).tuples().get())
    terms = Terms.of(check)

    def less(left, used):
        return None if left is None else max(0, left - used)
    return Terms(terms.copay_cents, terms.coinsurance_bp,
                 less(terms.deductible_remaining_cents, used_deductible),
                 less(terms.oop_remaining_cents, used_share))


def place_of_service(telehealth):
    # 10: telehealth with the client at home; 11: the office. Paid the same either way.
    return "10" if telehealth else "11"


def modifiers(telehealth):
    return ["95"] if telehealth else []


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
        claim_id=control_number_of(claim.id), diagnosis_code=program_client.diagnosis_code,
        service_date=visit.held_on, cpt_code=visit.cpt_code,
        modifiers=modifiers(visit.telehealth),
        place_of_service=place_of_service(visit.telehealth), charge_cents=claim.charge_cents)
