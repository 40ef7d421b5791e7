"""The clearinghouse's JSON professional claim (Change Healthcare's Professional Claims v3
shape, which Stedi's `…/professionalclaims/v3/submission` takes), read field for field from
the 837P we wrote and pyx12 validated: both always say the same thing.

Every field name is one Stedi's OpenAPI documents for this endpoint, none it requires is
missing (tests/claims/test_stedi_shapes.py; sources in tests/claims/fixtures/README.md); a
replacement (7) or void (8) carries the payer's claim number (REF*F8) as
claimSupplementalInformation's claimControlNumber, as Stedi documents it.
"""
from alma.claims.x12read import segments


def _dollars(value):
    """"125" or "87.5" as "125.00" / "87.50": the JSON API's amounts are strings."""
    whole, _, part = value.partition(".")
    return f"{whole}.{(part + '00')[:2]}"


def _address(found, after):
    street = found.get(("N3", after))
    place = found.get(("N4", after))
    if not (street and place):
        return None
    return {"address1": street.get(1), "city": place.get(1), "state": place.get(2),
            "postalCode": place.get(3)}


def from_837p(text):
    """The JSON body for one 837P interchange of a single claim and service line."""
    found, last_entity = {}, ""
    isa = None
    for segment in segments(text):
        key = segment.id
        if key == "ISA":
            isa = segment
        if key == "HL":
            last_entity = ""
        elif key == "NM1":
            last_entity = segment.get(1)
            found[("NM1", last_entity)] = segment
        elif key == "REF" and segment.get(1) == "F8":
            found["F8"] = segment
        elif key in ("N3", "N4", "PER", "REF", "DMG", "PRV"):
            found.setdefault((key, last_entity), segment)
        else:
            found.setdefault(key, segment)
    submitter, receiver = found[("NM1", "41")], found[("NM1", "40")]
    billing, subscriber = found[("NM1", "85")], found[("NM1", "IL")]
    payer, rendering = found[("NM1", "PR")], found[("NM1", "82")]
    contact, birth = found[("PER", "41")], found[("DMG", "IL")]
    claim, line = found["CLM"], found["SV1"]
    place, _, frequency = claim.parts(5)
    procedure = line.parts(1)
    body = {
        "controlNumber": isa.get(13),
        "tradingPartnerServiceId": payer.get(9),
        "tradingPartnerName": payer.get(3),
        "usageIndicator": isa.get(15),
        "submitter": {"organizationName": submitter.get(3),
                      "contactInformation": {"name": contact.get(2),
                                             "phoneNumber": contact.get(4)}},
        "receiver": {"organizationName": receiver.get(3)},
        "subscriber": {"memberId": subscriber.get(9), "paymentResponsibilityLevelCode":
                       found["SBR"].get(1), "firstName": subscriber.get(4),
                       "lastName": subscriber.get(3), "gender": birth.get(3),
                       "dateOfBirth": birth.get(2), "address": _address(found, "IL")},
        "billing": {"providerType": "BillingProvider", "npi": billing.get(9),
                    "employerId": found[("REF", "85")].get(2),
                    "taxonomyCode": found[("PRV", "")].get(3),
                    "organizationName": billing.get(3), "address": _address(found, "85")},
        "rendering": {"providerType": "RenderingProvider", "npi": rendering.get(9),
                      "firstName": rendering.get(4), "lastName": rendering.get(3),
                      "taxonomyCode": found[("PRV", "82")].get(3)},
        "claimInformation": {
            "claimFilingCode": found["SBR"].get(9),
            "patientControlNumber": claim.get(1),
            "claimChargeAmount": _dollars(claim.get(2)),
            "placeOfServiceCode": place,
            "claimFrequencyCode": frequency,
            "signatureIndicator": claim.get(6),
            "planParticipationCode": claim.get(7),
            "benefitsAssignmentCertificationIndicator": claim.get(8),
            "releaseInformationCode": claim.get(9),
            "healthCareCodeInformation": [
                {"diagnosisTypeCode": kind, "diagnosisCode": code}
                for kind, code in (found["HI"].parts(n)[:2]
                                   for n in range(1, len(found["HI"].elements)))],
            "serviceLines": [{
                "serviceDate": found["DTP"].get(3),
                "providerControlNumber": f"{claim.get(1)}-1",
                "professionalService": {
                    "procedureIdentifier": procedure[0], "procedureCode": procedure[1],
                    "procedureModifiers": procedure[2:],
                    "lineItemChargeAmount": _dollars(line.get(2)),
                    "measurementUnit": line.get(3), "serviceUnitCount": line.get(4),
                    "compositeDiagnosisCodePointers": {
                        "diagnosisCodePointers": line.parts(7)}}}],
        },
    }
    if "F8" in found:
        body["claimInformation"]["claimSupplementalInformation"] = {
            "claimControlNumber": found["F8"].get(2)}
    return body
