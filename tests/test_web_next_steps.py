"""The application page's next steps say where each really leads (issue 16, point 7): past the
stages the programme marks as not applicable, which they name."""

from tests import factories as f
from tests.factories import make_application
from tests.web_server import running, signed_in


def test_the_application_page_shows_where_a_step_really_leads(world):
    app_id = make_application(world, stage="innovation_table")
    with running(world.url) as base:
        page = signed_in(base, world.url, f.LEADER).get(f"/applications/{app_id}").text

    assert "Ecosysteemanalyse starten &rarr; beoordelingscommissie" in page
    assert "slaat over wat hier niet van toepassing is: ecosysteemanalyse" in page
