"""The text the client is emailed about a proposed therapist reads as English."""
import html

from alma.accounts.models import User
from alma.clock import utcnow
from alma.matching import service, wording
from alma.network.models import Language, Modality, Payer, Specialty
from tests import factories


def test_lists_take_commas_and_and():
    assert wording.and_list([]) == ""
    assert wording.and_list(["Aetna"]) == "Aetna"
    assert wording.and_list(["Aetna", "Cigna"]) == "Aetna and Cigna"
    assert wording.and_list(["Aetna", "Cigna", "Optum"]) == "Aetna, Cigna and Optum"


def test_specialties_are_common_nouns_but_acronyms_and_names_keep_their_capitals():
    assert wording.common_noun("Depression") == "depression"
    assert wording.common_noun("Trauma and PTSD") == "trauma and PTSD"
    assert wording.common_noun("Men's issues") == "men's issues"
    assert wording.common_noun("Self-esteem") == "self-esteem"
    assert wording.common_noun("ADHD") == "ADHD"
    assert wording.common_noun("LGBTQIA+ affirming care") == "LGBTQIA+ affirming care"
    assert wording.common_noun("EMDR") == "EMDR"
    assert wording.common_noun("Gottman method") == "Gottman method"
    assert wording.common_noun("Cognitive behavioral therapy (CBT)") == \
        "cognitive behavioral therapy (CBT)"


def _needs(**changes):
    fields = dict(name="Kim", email="kim@example.org", phone="", state="CA", payer=None,
                  plan="", self_pay=False, budget_cents=None, concerns="", specialty=None,
                  gender=None, language=None, preferred_format=None, modality=None,
                  availability="", zip_code=None, submission_key="k")
    fields.update(changes)
    return service.Needs(**fields)


def _pitches(app, **changes):
    with app.app_context():
        match, _ = service.ask_to_be_matched(_needs(**changes))
        return {s.provider.first_name: s.pitch for s in service.suggestions(match)}


def test_one_payer_a_specialty_a_method_and_a_language(app, db):
    factories.operate_in("CA")
    factories.provider(first_name="Joanna", payers=("aetna",), specialties=("depression",),
                       modalities=("emdr",), languages=("english", "spanish"))
    pitches = _pitches(app, payer=Payer.get(slug="aetna"),
                       specialty=Specialty.get(slug="depression"),
                       modality=Modality.get(slug="emdr"),
                       language=Language.get(slug="spanish"), preferred_format="telehealth")
    assert pitches["Joanna"] == ("Joanna is in network with Aetna, helps with depression, "
                                 "practises EMDR, speaks Spanish and offers telehealth.")


def test_one_payer_and_nothing_else(app, db):
    factories.operate_in("CA")
    factories.provider(first_name="Joanna", payers=("aetna",))
    assert _pitches(app, payer=Payer.get(slug="aetna"))["Joanna"] == \
        "Joanna is in network with Aetna."


def test_no_payer_said_lists_every_payer_they_take(app, db):
    factories.operate_in("CA")
    factories.provider(first_name="Joanna", payers=("aetna", "cigna", "optum"),
                       specialties=("trauma-and-ptsd",))
    factories.provider(first_name="Ana", payers=(), cash_rate_cents=12000)
    pitches = _pitches(app, specialty=Specialty.get(slug="trauma-and-ptsd"),
                       preferred_format="in_person")
    assert pitches["Joanna"] == ("Joanna is in network with Aetna, Cigna and Optum, "
                                 "offers self-pay, helps with trauma and PTSD and sees "
                                 "clients in person.")
    assert pitches["Ana"] == "Ana offers self-pay and sees clients in person."


def test_self_pay_within_a_budget(app, db):
    factories.operate_in("CA")
    factories.provider(first_name="Joanna", cash_rate_cents=10000)
    assert _pitches(app, self_pay=True, budget_cents=12000)["Joanna"] == \
        "Joanna has a self-pay rate within your budget."
    assert _pitches(app, self_pay=True, submission_key="k2")["Joanna"] == \
        "Joanna offers self-pay."


def test_the_team_is_offered_the_sentence_to_send(app, client, db):
    factories.operate_in("CA")
    factories.provider(first_name="Fiona", payers=("aetna",), specialties=("grief-and-loss",))
    user = User.create(email="mia@alma.example", name="Mia Matcher", roles="matching")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["seen"] = utcnow().timestamp()
    with app.app_context():
        match, _ = service.ask_to_be_matched(_needs(
            payer=Payer.get(slug="aetna"), specialty=Specialty.get(slug="grief-and-loss")))
    body = html.unescape(client.get(f"/team/matching/{match.id}").get_data(as_text=True))
    assert ">Fiona is in network with Aetna and helps with grief and loss.</textarea>" in body
