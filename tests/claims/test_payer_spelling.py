"""Every page and statement spells the payer an 835 names as we do: one function for all."""
from alma.claims.posting import payer_spelled
from alma.network.models import Payer


def test_an_835s_capitals_become_our_spelling_and_others_title_case(db):
    ours = Payer.select().where(Payer.name == "UnitedHealthcare").first()
    assert ours is not None  # reference data the migrations seed
    assert payer_spelled("UNITEDHEALTHCARE") == "UnitedHealthcare"
    assert payer_spelled("OPTUM BEHAVIORAL HEALTH") == "Optum Behavioral Health"
    assert payer_spelled("") == "The insurer"
    assert payer_spelled("", "the insurer") == "the insurer"
