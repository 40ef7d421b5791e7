"""How long reading the clearinghouse's reports takes, with pyx12's maps parsed for every
report (as before: `--cold` each time) and parsed once per process (now), in one run.

    .venv/bin/python bench/claim_reports.py --reports 30

Each report is what reports.receive does before touching the database: pyx12 validates
the X12, then acks/era read it. The reports are the sandbox's own 999, 277CA and 835 for a
claim. Prints the mean per report for each way and their ratio.
"""
import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alma.claims import acks, era, x12_validation  # noqa: E402
from alma.claims.sandbox_x12 import ack_277ca, ack_999, remittance_835  # noqa: E402

CLAIM = {"pcn": "AL00000001", "payer_id": "60054", "payer_name": "AETNA", "npi": "1234567893",
         "tax_id": "123456789", "group_name": "ALMA HEALTH GROUP", "member_id": "W123456789",
         "first_name": "SAM", "last_name": "RIVERA", "service_date": "20250304",
         "procedure": "90834", "charge_cents": 12500, "control_number": "000000042",
         "submitter_id": "ALMAGROUP", "payer_claim_number": "PCN1"}
PAYER = {"payer_id": "60054", "payer_name": "AETNA", "payer_tax_id": "600540000",
         "tax_id": "123456789", "npi": "1234567893", "group_name": "ALMA HEALTH GROUP",
         "submitter_id": "ALMAGROUP"}
DECISION = {"status": "1", "paid_cents": 10000, "patient_cents": 2500,
            "adjustments": [["PR", "3", 2500]], "remarks": [], "payer_claim_number": "PCN1"}
READERS = {"999": acks.read_999, "277": acks.read_277ca, "835": era.read}


def reports():
    now = datetime.datetime(2025, 3, 10, 9, 30)
    return [("999", ack_999(CLAIM, 1, now)), ("277", ack_277ca(CLAIM, 2, now)),
            ("835", remittance_835(PAYER, [(CLAIM, DECISION, 1)], "T1", 3, now))]


def read_all(texts, count, cold):
    took = []
    for n in range(count):
        kind, text = texts[n % len(texts)]
        if cold:
            x12_validation._maps.clear()
        started = time.perf_counter()
        assert x12_validation.validate(text) == [], kind
        READERS[kind](text)
        took.append(time.perf_counter() - started)
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=30)
    args = parser.parse_args()
    texts = reports()
    read_all(texts, len(texts), cold=False)  # imports and first parse, not measured
    cold = read_all(texts, args.reports, cold=True)
    warm = read_all(texts, args.reports, cold=False)
    for name, took in (("maps parsed per report (before)", cold),
                       ("maps parsed once (now)", warm)):
        print(f"{name:34} mean {statistics.mean(took) * 1000:8.1f} ms  "
              f"median {statistics.median(took) * 1000:8.1f} ms  ({len(took)} reports)")
    print(f"ratio before/now: {statistics.mean(cold) / statistics.mean(warm):.1f}x")


if __name__ == "__main__":
    main()
