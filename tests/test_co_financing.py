"""Co-financing by source: a partner's money records where it comes from (private, municipal,
provincial, national, EU, other), the multiplier on regional public money is computed from it
beside partner money per euro granted, exact in cents, with the money per source in `budget show`,
the reports and the exports; the Twente municipalities' inhabitants are configuration data."""

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from kracht.basics.errors import InvalidInput, NotAllowed
from kracht.basics.euros import parse_euros
from kracht.cli import main
from kracht.storage import audit
from kracht.storage.database import alembic_config, current_revision, session
from kracht.workflow import co_financing, municipalities
from kracht.workflow.reports import documents as programme_reports
from kracht.workflow.services import applications, budgets, directory, exports
from tests import factories as f
from tests.factories import THIS_YEAR, make_application, run
from tests.test_reports import md_table

SOURCES = ("private", "municipal", "provincial", "national", "eu", "other")


def _orgs(world):
    for name, o_type in (("Gemeente Almelo", "government"), ("Provincie Overijssel", "government"),
                         ("Interreg (test)", "government")):  # fmt: skip
        run(world.url, f.LEADER, directory.add_org, name=name, o_type=o_type)


def _money(world, app_id, organisation, amount, source=None):
    return run(world.url, f.LEADER, applications.add_partner, app_id, organisation=organisation,
               commitment="money", amount=amount, source=source)["partner"]  # fmt: skip


def _funded(world):
    """A project granted EUR 64,389, its business's EUR 10,000 (private by default) and money
    from the municipality, the province, the EU and Saxion (no source given: unknown)."""
    _orgs(world)
    app_id = make_application(world, stage="monitoring")
    _money(world, app_id, "Gemeente Almelo", "19720", "municipal")
    _money(world, app_id, "Provincie Overijssel", "300000.01", "provincial")
    _money(world, app_id, "Interreg (test)", "1000000", "eu")
    _money(world, app_id, "Saxion", "5000")
    return app_id


def _avt(world):
    view = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018)
    (avt,) = view["multipliers"]
    return avt


def test_money_records_its_source_and_a_business_s_money_is_private_by_default(any_world):
    world = any_world
    app_id = _funded(world)

    partners = {p["organisation"]: p for p in run(world.url, f.LEADER, applications.show,
                                                  app_id)["partners"]}  # fmt: skip

    assert {name: p["source"] for name, p in partners.items()} == {
        f.BUSINESS: "private",  # a business: derived
        "Gemeente Almelo": "municipal",
        "Provincie Overijssel": "provincial",
        "Interreg (test)": "eu",
        "Saxion": None,  # an education institution's money may be public or private: unknown
    }
    with session(world.url) as db:
        added = [e for e in audit.history(db, app_id) if e["action"] == "partner.add"]
    assert [e["payload"]["partner"]["source"] for e in added] == [
        "private", "municipal", "provincial", "eu", None
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--commitment", "money", "--amount", "100", "--source", "city"],
         "--source 'city' is not one of private, municipal, provincial, national, eu, other"),
        (["--commitment", "time", "--hours", "10", "--source", "eu"],
         "a source (--source) is for a money commitment, not time: leave it out"),
    ],
)  # fmt: skip
def test_a_source_that_is_no_source_is_refused_in_one_line_naming_it(world, capsys, args, line):
    run(world.url, f.LEADER, directory.add_org, name="Gemeente Almelo", o_type="government")
    app_id = make_application(world, stage="monitoring")
    before = run(world.url, f.LEADER, applications.show, app_id)["partners"]
    capsys.readouterr()

    code = main(["--db", world.url, "--as", f.LEADER, "app", "partner", "add", str(app_id),
                 "--org", "Gemeente Almelo", *args])  # fmt: skip

    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert line in err
    assert run(world.url, f.LEADER, applications.show, app_id)["partners"] == before


def test_the_multiplier_on_regional_public_money_is_exact_beside_todays_figure(any_world):
    world = any_world
    _funded(world)

    avt = _avt(world)

    grants, municipal, unknown = 6438900, 1972000, 500000
    leveraged = 1000000 + 30000001 + 100000000  # private, provincial, EU
    assert avt["by_source"] == {"private": 1000000, "municipal": municipal,
                                "provincial": 30000001, "national": 0, "eu": 100000000,
                                "other": 0, "unknown": unknown}  # fmt: skip
    assert avt["regional_public_cents"] == grants + municipal
    assert avt["leveraged_cents"] == leveraged
    assert avt["unknown_cents"] == unknown
    exact = Decimal(leveraged) / Decimal(grants + municipal)  # 15.5751...
    assert avt["regional_multiplier"] == exact.quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert avt["regional_multiplier"] == Decimal("15.58")
    # today's figure counts every partner's money, the municipality's and the unknown too
    assert avt["partner_money_cents"] == leveraged + municipal + unknown
    assert avt["multiplier"] == Decimal("20.73")  # 133,472,001 / 6,438,900 = 20.728...


def test_the_multiplier_rounds_half_up_and_has_nothing_to_divide_without_regional_money():
    assert co_financing.regional(200, {"private": 1})["multiplier"] == Decimal("0.01")  # 0.005
    assert co_financing.regional(0, {"private": 5})["multiplier"] is None
    assert co_financing.regional(0, {"municipal": 400, "eu": 100})["multiplier"] == Decimal("0.25")
    shown = co_financing.regional(100, {None: 7, "other": 3})
    assert (shown["unknown_cents"], shown["leveraged_cents"], shown["multiplier"]) == (
        7, 3, Decimal("0.03"))  # fmt: skip


def test_budget_show_gives_both_multipliers_and_the_money_per_source(world, capsys):
    _funded(world)
    capsys.readouterr()

    assert main(["--db", world.url, "--as", f.LEADER, "budget", "show", "--programme",
                 f.AVT_2018]) == 0  # fmt: skip

    out = capsys.readouterr().out
    assert "partner money per euro granted 20.73" in out
    assert ("on regional public money 15.58 (EUR 1,310,000.01 leveraged on EUR 84,109.00 of "
            "grants and municipal money)") in out  # fmt: skip
    assert (
        "partner money by source: private EUR 10,000.00, municipal EUR 19,720.00, "
        "provincial EUR 300,000.01, eu EUR 1,000,000.00, unknown EUR 5,000.00"
    ) in out
    assert "EUR 5,000.00 of unknown source counts in neither figure" in out


def test_the_reports_break_the_money_down_per_source(world, tmp_path):
    _funded(world)

    for kind, stem in (("annual", "annual-report"), ("monitor", "project-monitor")):
        run(world.url, f.LEADER, programme_reports.write, kind, THIS_YEAR, tmp_path / kind)
        md = (tmp_path / kind / f"{stem}-{THIS_YEAR}.md").read_text()
        assert (
            "| project | regional public | private | municipal | provincial | national | EU "
            "| other | unknown | on regional public money |"
        ) in md
        rows = {row[0]: row for row in md_table(md, "Co-financing by source")}
        total = rows["Total, committed grants"]
        assert [parse_euros(c) for c in total[1:9]] == [
            8410900, 1000000, 1972000, 30000001, 0, 100000000, 0, 500000
        ]  # fmt: skip
        assert total[9] == "15.58"
        summary = dict(row[:2] for row in md_table(md, "Summary"))
        assert summary["Multiplier on regional public money"] == "15.58 (target 8.5)"
        assert summary["Multiplier on committed grants"] == "20.73"


def test_the_partners_export_gives_each_money_its_source(any_world):
    world = any_world
    app_id = _funded(world)

    text, count = run(world.url, f.LEADER, exports.export, "partners", "csv")
    data, _ = run(world.url, f.LEADER, exports.export, "partners", "json")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 5
    assert {(r["organisation"], r["amount_cents"], r["source"]) for r in rows} == {
        (f.BUSINESS, "1000000", "private"), ("Gemeente Almelo", "1972000", "municipal"),
        ("Provincie Overijssel", "30000001", "provincial"), ("Interreg (test)", "100000000", "eu"),
        ("Saxion", "500000", "unknown"),
    }  # fmt: skip
    assert json.loads(data)[0] == {
        "application_id": app_id, "title": "TalentIT Twente", "programme": f.AVT_2018,
        "state": "monitoring", "organisation": f.BUSINESS, "type": "business",
        "co_financing": True, "commitment": "money", "amount_cents": 1000000, "hours": None,
        "source": "private",
    }  # fmt: skip


def test_an_unknown_source_is_recorded_afterwards_by_the_programme_leader_audited(any_world):
    world = any_world
    app_id = _funded(world)

    with pytest.raises(NotAllowed):
        run(world.url, f.APPLICANT, applications.set_partner_source, app_id,
            organisation="Saxion", source="other")  # fmt: skip
    with pytest.raises(InvalidInput, match="is not one of"):
        run(world.url, f.LEADER, applications.set_partner_source, app_id,
            organisation="Saxion", source="rich")  # fmt: skip
    changed = run(world.url, f.LEADER, applications.set_partner_source, app_id,
                  organisation="Saxion", source="other")  # fmt: skip

    assert (changed["source"], changed["previous"]) == ("other", None)
    avt = _avt(world)
    assert (avt["unknown_cents"], avt["by_source"]["other"]) == (0, 500000)
    assert avt["regional_multiplier"] == Decimal("15.63")  # 131,500,001 / 8,410,900 = 15.634
    with session(world.url) as db:
        events = [e for e in audit.history(db, app_id) if e["action"] == "partner.source"]
    # the applicant's attempt is audited as refused; the bad source never reached a write
    assert [(e["actor"], e["outcome"]) for e in events] == [(f.APPLICANT, "refused"),
                                                            (f.LEADER, "ok")]  # fmt: skip
    assert events[-1]["payload"]["previous"] is None


def test_the_migration_derives_a_business_s_source_and_leaves_the_rest_unknown(any_world):
    from alembic import command

    world = any_world
    app_id = _funded(world)
    config = alembic_config(world.url)

    command.downgrade(config, "0012")
    command.upgrade(config, "head")

    assert current_revision(world.url) == "0014"
    partners = run(world.url, f.LEADER, applications.show, app_id)["partners"]
    assert {p["organisation"]: p["source"] for p in partners} == {
        f.BUSINESS: "private", "Gemeente Almelo": None, "Provincie Overijssel": None,
        "Interreg (test)": None, "Saxion": None,
    }  # fmt: skip


# -- the municipalities ---------------------------------------------------------------------------


def test_the_shipped_municipalities_are_the_fourteen_with_the_total_the_documents_give():
    found = municipalities.load()

    assert [m.name for m in found.municipalities] == [
        "Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
        "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand",
        "Wierden",
    ]  # fmt: skip
    assert all(m.inhabitants is None for m in found.municipalities)  # not in the documents
    assert found.total == 506667  # EUR 3.8 mln / EUR 7.50, rounded
    assert "seed 002 L392-412" in found.basis


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('inhabitants_total = 5\nbasis = "x"\n[[municipality]]\nname = "A"\n',
         "unknown key 'basis'"),
        ('[[municipality]]\nname = "A"\n', "inhabitants_total is needed"),
        ('[[municipality]]\nname = "A"\ninhabitants = 10\n[[municipality]]\nname = "B"\n'
         'inhabitants = "many"\n', "municipality[1].inhabitants must be a whole number"),
        ('inhabitants_total = 30\n[[municipality]]\nname = "A"\ninhabitants = 10\n'
         '[[municipality]]\nname = "B"\ninhabitants = 10\n',
         "inhabitants_total is 30, but the municipalities' inhabitants add up to 20"),
        ('inhabitants_total = 30\ninhabitants_basis = "x"\n[[municipality]]\nname = "A"\n'
         '[[municipality]]\nname = "A"\n', "municipality 'A' is listed twice"),
        ('inhabitants_total = 30\ninhabitants_basis = "x"\n[[municipality]]\nname = "A"\n'
         'people = 3\n', "municipality[0].people is not a key of a municipality"),
        ('inhabitants_total = 30\n[[municipality]]\nname = "A"\n',
         "inhabitants_basis must say where inhabitants_total comes from"),
        ("inhabitants_total = 30\n", "municipality needs at least one"),
    ],
)  # fmt: skip
def test_a_bad_municipalities_file_is_refused_naming_the_key(tmp_path, capsys, text, words):
    path = tmp_path / "towns.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidInput, match="^towns.toml: ") as refused:
        municipalities.load(path)
    assert words in str(refused.value)
    capsys.readouterr()
    assert main(["programme", "municipalities", "--file", str(path)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert words in err


def test_every_municipality_counted_makes_the_total_their_sum(tmp_path, capsys):
    path = tmp_path / "towns.toml"
    path.write_text('[[municipality]]\nname = "A"\ninhabitants = 1000\n[[municipality]]\n'
                    'name = "B"\ninhabitants = 234\n', encoding="utf-8")  # fmt: skip

    assert municipalities.load(path).total == 1234
    assert main(["programme", "municipalities", "--file", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inhabitants_total"] == 1234


def test_a_per_inhabitant_budget_takes_the_municipalities_total(world, tmp_path):
    result = run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2023, year=2024,
                 per_inhabitant="9.27", municipalities=True)  # fmt: skip

    assert result["amount_cents"] == 506667 * 927
    assert result["basis"] == (
        "506,667 inhabitants of the municipalities (twente_municipalities.toml) x EUR 9.27"
    )
    path = tmp_path / "towns.toml"
    path.write_text('[[municipality]]\nname = "A"\ninhabitants = 1000\n', encoding="utf-8")
    edited = run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2023, year=2025,
                 per_inhabitant="7.50", municipalities=path)  # fmt: skip
    assert edited["amount_cents"] == 750000
    with pytest.raises(InvalidInput, match="not both"):
        run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2023, year=2026,
            per_inhabitant="7.50", inhabitants=10, municipalities=True)  # fmt: skip


def test_the_running_programme_import_takes_a_partners_source_as_a_fifth_field(world, tmp_path):
    from kracht.workflow.services.running_import import import_running
    from tests.test_running_import import ROWS, _prepared, _sheet

    _prepared(world)
    _orgs(world)
    row = {**ROWS[0], "partners": "Port of Twente|co-financing|time|2000\n"
                                  "Gemeente Almelo|partner|money|19.720|municipal\n"
                                  "Saxion|partner|money|1.000"}  # fmt: skip
    bad = {**ROWS[0], "title": "Elsewhere", "partners": "Saxion|partner|money|1.000|city"}

    with pytest.raises(InvalidInput) as refused:
        run(world.url, f.LEADER, import_running, _sheet(tmp_path, [row, bad], "bad.csv"))
    assert (
        "line 5, column partners: partner Saxion: source 'city' is not one of private, "
        "municipal, provincial, national, eu, other"
    ) in str(refused.value)
    (done,) = run(world.url, f.LEADER, import_running, _sheet(tmp_path, [row]))["applications"]

    partners = run(world.url, f.LEADER, applications.show, done["id"])["partners"]
    assert [(p["organisation"], p["source"]) for p in partners] == [
        ("Port of Twente", None), ("Gemeente Almelo", "municipal"), ("Saxion", None)]  # fmt: skip


def test_the_web_shows_each_money_s_source_and_the_regional_multiplier(any_world):
    from tests.web_server import running, signed_in

    world = any_world
    app_id = _funded(world)

    with running(world.url) as base:
        leader = signed_in(base, world.url, f.LEADER)
        page = leader.get(f"/applications/{app_id}").text
        budgets_page = leader.get("/money/budgets").text

    assert "Gemeente Almelo (government): € 19.720,00, gemeentelijk" in page
    assert "Saxion (education): € 5.000,00, bron onbekend" in page
    table = budgets_page.split('id="regional-multiplier"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">15,58</td>' in table
    assert "€ 84.109,00" in table  # the grant and Almelo's money
    assert '<th scope="col" class="num">provinciaal</th>' in table
