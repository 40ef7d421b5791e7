"""The team's pay rates, set and listed from the command line."""
from alma.payouts.models import PayRate


def test_the_team_sets_and_lists_rates_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payouts", "set-rate", "90834", "104.50", "--from",
                                 "2027-01-01", "--licence", "LMFT"])
    assert result.exit_code == 0, result.output
    assert "90834 pays 104.50 from 2027-01-01 (LMFT)" in result.output
    again = runner.invoke(args=["payouts", "set-rate", "90834", "105", "--from",
                                "2027-01-01", "--licence", "LMFT"])
    assert again.exit_code == 0
    rate = PayRate.get((PayRate.license_type == "LMFT") & (PayRate.cpt_code == "90834"))
    assert rate.cents == 10500
    for bad in (["99999", "10"], ["90834", "10.001"], ["90834", "-1"], ["90834", "ten"]):
        result = runner.invoke(args=["payouts", "set-rate", *bad, "--from", "2027-01-01"])
        assert result.exit_code != 0, bad
    listed = runner.invoke(args=["payouts", "rates"]).output
    assert "90834  LMFT" in listed and "90834  any licence" in listed
