"""The demo reproduces the first round's documented outcomes and amounts."""

from workflow import applications, auditing
from workflow.demo import run
from workflow.demo_data import AUDITOR, LEADER


def test_demo_reaches_the_documented_outcomes_with_an_intact_trail(tmp_path):
    lines: list[str] = []
    path = run(str(tmp_path / "demo.db"), echo=lines.append)
    url = f"sqlite:///{path}"

    rows = {r["title"]: r for r in applications.list_all(url, LEADER)}
    granted = {
        title: applications.show(url, LEADER, r["id"])["stage_data"]["steering_decision"]["granted"]
        for title, r in rows.items()
        if r["state"] in ("monitoring", "approved_with_conditions")
    }
    assert granted == {  # seed 002 L149-244
        "TalentIT Twente": 6438900,
        "Twents Huis van de Logistiek": 17000000,
        "Mineral Valley Twente": 50000000,
        "Twents Fonds voor Vakmanschap": 50000000,
        "Novel-T basisinfrastructuur 2019": 133500000,
    }
    assert rows["Novel-T basisinfrastructuur 2019"]["state"] == "approved_with_conditions"
    assert rows["RIF / ROC van Twente 2018"]["state"] == "deferred"
    assert rows["H2 hub Twente"]["state"] == "ecosystem_analysis"
    assert "  granted and committed over all years: € 1.234.389,00" in lines
    start = next(i for i, x in enumerate(lines) if x.strip() == "Money, Agenda voor Twente "
                 "2018-2022, budget year 2018")  # fmt: skip
    money = lines[start:]
    projects = next(line.split() for line in money if line.startswith("  (all lines)"))
    assert projects[-3:] == ["available", "€", "1.165.611,00"]  # 2.000.000 - 834.389
    assert any(
        line.startswith("  (assumed: EUR 2 mln for projects in each year 2018-2022;")
        and "'about EUR 550k'" in line
        for line in money
    )
    assert auditing.verify(url, AUDITOR).intact
    start = lines.index("Try next, on this database:")
    assert lines[start + 1] == f"  export KRACHT_DB={path} KRACHT_USER={LEADER}"
    assert "  kracht scores ranking --round 2018-1" in lines[start:]


def test_demo_history_shows_the_rework_loop(tmp_path):
    path = run(str(tmp_path / "demo.db"), echo=lambda _: None)
    url = f"sqlite:///{path}"
    mineral = next(
        r["id"] for r in applications.list_all(url, LEADER) if r["title"] == "Mineral Valley Twente"
    )

    triggers = [
        e["trigger"]
        for e in applications.history(url, LEADER, mineral)
        if e["action"] == "fire" and e["outcome"] == "ok"
    ]

    assert triggers.count("return_for_rework") == 1
    assert triggers.count("open_scoring") == 2
    assert triggers.count("submit_advice") == 1
    assert triggers[-1] == "approve"
