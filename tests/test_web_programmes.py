"""The programme pages (issue 16): each programme's routes, its own and each track's with the
stages passed and why, and its rules by period, in the reader's language; the same service as
`kracht workflow show --programme`."""

from tests import factories as f
from tests.test_tracks import BASIS, PERIODS, configure
from tests.web_server import running, signed_in


def test_the_programme_page_shows_its_routes_and_its_rules_by_period(world):
    configure(world, tracks=[BASIS], periods=PERIODS)
    with running(world.url) as base:
        browser = signed_in(base, world.url, f.APPLICANT)
        listing = browser.get("/programmes").text
        page = browser.get("/programmes/avt-2018").text
        missing = browser.get("/programmes/no-such")

    assert '<a href="/programmes/avt-2018">Agenda voor Twente 2018-2022</a>' in listing
    assert '<h3 id="route-1">De route van het programma</h3>' in page
    assert "<li>innovatietafel</li><li>beoordelingscommissie</li>" in page
    assert "ecosysteemanalyse: no ecosystem analysis in the 2018-2022 process" in page
    assert '<h3 id="route-2">Eigen route: Basisinfrastructuur</h3>' in page
    assert "<p>voor actielijn circular</p>" in page
    assert '<ol class="route"><li>idee</li><li>besluit sturingscommissie</li></ol>' in page
    assert "<td>10 januari 2018</td>" in page
    assert "<td>minstens één cofinancierend bedrijf, SMART-indicatoren</td>" in page
    assert "<td>alle regels gelden</td>" in page
    assert missing.status_code == 404
