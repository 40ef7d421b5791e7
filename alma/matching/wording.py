"""What the client reads about a proposed therapist: whole sentences, not a list of tags.

"Fiona is in network with Aetna, helps with grief and loss and speaks Spanish." Lists take
commas and "and"; a specialty or method is a common noun (lowercase) unless it is an
acronym ("ADHD", "EMDR") or named after someone ("Gottman method"); payers and languages
keep their capitals.
"""
from alma.network import vocab

# Words that open a vocabulary name and are proper nouns.
PROPER = frozenset({"Gottman"})


def and_list(items):
    """["a"] -> "a"; ["a", "b"] -> "a and b"; ["a", "b", "c"] -> "a, b and c"."""
    items = [item for item in items if item]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def common_noun(name):
    """"Grief and loss" -> "grief and loss"; "ADHD", "LGBTQIA+ affirming care" unchanged."""
    first = name.split(" ", 1)[0]
    if first in PROPER or not first[:1].isupper() or not (first[1:] == "" or first[1:].islower()):
        return name
    return name[:1].lower() + name[1:]


def payer_clauses(match, in_network_payers, has_cash_rate):
    """How the client could pay this therapist, as verb phrases."""
    if match.payer_id and not match.self_pay:
        return [f"is in network with {match.payer.name}"]
    if match.self_pay:
        return ["has a self-pay rate within your budget" if match.budget_cents
                else "offers self-pay"]
    # The client didn't say how they'd pay: what the therapist takes.
    clauses = []
    if in_network_payers:
        clauses.append(f"is in network with {and_list(list(in_network_payers))}")
    if has_cash_rate:
        clauses.append("offers self-pay")
    return clauses


def pitch(first_name, clauses):
    """One sentence: "Fiona is in network with Aetna, helps with grief and loss and speaks
    Spanish." (the name alone if nothing is known)."""
    said = and_list(clauses)
    return f"{first_name} {said}." if said else f"{first_name}."


def _listing_payer_clauses(match, listing):
    words = vocab.current()
    return payer_clauses(match, words.names(listing.payer_bits, words.payers_by_id),
                         listing.cash_rate_cents is not None)


def payer_reason(match, listing):
    """How the client could pay, for the matching team's list of reasons."""
    if match.payer_id and not match.self_pay:
        return f"in network with {match.payer.name}"
    if match.self_pay:
        return "self-pay within budget" if match.budget_cents else "offers self-pay"
    return "; ".join(_listing_payer_clauses(match, listing)).replace("is in network",
                                                                      "in network")


def pitch_for(match, listing, first_name):
    """The sentence for the client: how they could pay, then each need the therapist meets
    (what they asked for help with, the method, the language, the format)."""
    clauses = _listing_payer_clauses(match, listing)
    for row, bits, verb in ((match.specialty, listing.specialty_bits, "helps with"),
                            (match.modality, listing.modality_bits, "practises"),
                            (match.language, listing.language_bits, "speaks")):
        if row is not None and bits >> row.id & 1:
            clauses.append(f"{verb} {row.name if verb == 'speaks' else common_noun(row.name)}")
    if match.preferred_format == "telehealth" and listing.offers_telehealth:
        clauses.append("offers telehealth")
    elif match.preferred_format == "in_person" and listing.offers_in_person:
        clauses.append("sees clients in person")
    return pitch(first_name, clauses)
