"""The four yearly documents of the demo (domain.md 7.2): the annual accounts, the annual report,
the project monitor and the annual plan, written in Dutch as HTML, Markdown and PDF beside the
demo's database, and each again in English here. Each HTML parses with its language set, shows
state names as words and the edition's number and date formats; each PDF opens, holds its
title, and its first page, rendered to PNG (pypdfium2, kept in tmp as the test's artefact), is
A4, not blank, and inked where the title stands.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pypdfium2 as pdfium
import pytest

from kracht.basics.errors import InvalidInput
from kracht.cli import main
from kracht.workflow.definition import STATES
from kracht.workflow.demo.build import run as build_demo
from kracht.workflow.demo.data import LEADER
from kracht.workflow.reports import documents as programme_reports
from tests.factories import run
from tests.test_reports import Tables, md_table

# kind -> (year, file stem, Dutch title, English title)
DOCUMENTS = {
    "accounts": (2019, "annual-accounts-2019", "Jaarrekening 2019", "Annual accounts 2019"),
    "annual": (2019, "annual-report-2019", "Jaarrapportage 2019", "Annual report 2019"),
    "monitor": (2019, "project-monitor-2019", "Projectenmonitor 2019", "Project monitor 2019"),
    "plan": (2020, "annual-plan-2020", "Jaarplan 2020", "Annual plan 2020"),
}
A4 = 595.28 / 841.89  # width / height in points
# in the text a reader sees: no identifier of the road with its underscores
IDENTIFIERS = re.compile("|".join(s for s in STATES if "_" in s))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo once per module: its URL, its reports folder (Dutch) and an English one."""
    path = build_demo(str(tmp_path_factory.mktemp("demo") / "demo.db"), echo=lambda _: None)
    url = f"sqlite:///{path}"
    english = tmp_path_factory.mktemp("english")
    for kind, (year, *_) in DOCUMENTS.items():
        run(url, LEADER, programme_reports.write, kind, year, english, language="en")
    return url, path.parent / f"{path.stem}-reports", english


class Text(HTMLParser):
    """The <html lang>, and the text a reader sees (not the style sheet)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.parts: list[str] = []
        self.hidden = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("style", "script"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_the_dutch_edition_is_dutch_in_words_numbers_and_dates(demo, kind):
    _, folder, _ = demo
    year, stem, title, _english = DOCUMENTS[kind]

    page = Text((folder / f"{stem}.html").read_text())
    md = (folder / f"{stem}.md").read_text()

    assert page.lang == "nl"
    assert page.text.startswith(f"{title} {title}")  # <title> and <h1>
    assert md.startswith(f"# {title}\n")
    for text in (page.text, md):
        assert not IDENTIFIERS.search(text), IDENTIFIERS.search(text)
        assert re.search(r"€ \d{1,3}(\.\d{3})*,\d\d", text)  # € 2.000.000,00
        assert "EUR " not in text
        assert re.search(r"\b\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|"
                         r"september|oktober|november|december) 20\d\d\b", text)  # fmt: skip
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)  # no ISO date is shown


def test_the_dutch_figures_are_the_demos(demo):
    _, folder, _ = demo
    annual = (folder / "annual-report-2019.md").read_text()
    monitor = (folder / "project-monitor-2019.md").read_text()
    plan = (folder / "annual-plan-2020.md").read_text()
    accounts = Tables((folder / "annual-accounts-2019.html").read_text()).tables

    # the four first grants of 13 December 2018 together (domain.md 6.3)
    total = next(r for r in md_table(monitor, "Projecten") if r[0] == "Totaal")
    assert total[3] == "€ 1.234.389,00"
    assert "| 2019-Q1 | 13 december 2018 – 31 maart 2019 |" in monitor
    assert "| toegekend onder voorwaarden |" in annual
    # Mineral Valley's EUR 500,000 over 2018-2022: EUR 100,000 on 2020
    grants = md_table(plan, "Meerjarige toekenningen ten laste van 2020")
    assert grants[0][:6] == ["Mineral Valley Twente", "avt-2018", "monitoring", "2018–2022",
                             "€ 500.000,00", "€ 100.000,00"]  # fmt: skip
    development = {r[0]: r[1:] for r in accounts["development-avt-2018"][1:]}
    assert development["Plafond (12,5%)"] == ["€ 250.000,00", "12,5%"]
    assert development["Binnen het plafond"][0] == "ja"


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_the_english_edition_is_english(demo, kind):
    _, _, folder = demo
    year, stem, _dutch, title = DOCUMENTS[kind]

    page = Text((folder / f"{stem}.html").read_text())

    assert page.lang == "en"
    assert page.text.startswith(f"{title} {title}")
    assert not IDENTIFIERS.search(page.text)
    assert re.search(r"EUR \d{1,3}(,\d{3})*\.\d\d", page.text)
    assert "€" not in page.text
    assert re.search(r"\b\d{1,2} (January|March|April|June|September|October|December) 20\d\d",
                     page.text)  # fmt: skip


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_the_pdf_opens_and_its_first_page_is_a4_inked_where_the_title_stands(
    demo, kind, language, tmp_path
):
    _, dutch, english = demo
    year, stem, nl_title, en_title = DOCUMENTS[kind]
    title = nl_title if language == "nl" else en_title

    pdf = pdfium.PdfDocument(str((dutch if language == "nl" else english) / f"{stem}.pdf"))
    first = pdf[0]
    width, height = first.get_size()
    text = first.get_textpage().get_text_range()
    image = first.render(scale=1).to_pil().convert("L")
    shot = tmp_path / f"{stem}-{language}-page-1.png"
    image.save(shot)  # the screenshot, kept as the test's artefact

    assert len(pdf) >= 1
    assert title in text
    assert abs(width / height - A4) < 0.01
    assert round(width) == 595
    assert shot.stat().st_size > 0
    pixels = image.load()
    w, h = image.size
    ink = sum(1 for x in range(w) for y in range(h) if pixels[x, y] < 128)
    assert ink > 0.005 * w * h  # not blank
    # the title: dark pixels in the top band (the margin is 18 mm, the title below it)
    top = sum(
        1 for x in range(w) for y in range(int(h * 0.06), int(h * 0.12)) if pixels[x, y] < 160
    )
    assert top > 200, top
    # nothing printed in the side margins (15 mm): the tables fit the page
    margin = int(w * 12 / 210)
    sides = [(x, y) for y in range(h) for x in (*range(margin), *range(w - margin, w))]
    assert not any(pixels[x, y] < 200 for x, y in sides)


def test_a_year_without_budgets_is_refused_in_one_line(demo, tmp_path, capsys):
    url, *_ = demo
    with pytest.raises(InvalidInput) as error:
        run(url, LEADER, programme_reports.write, "accounts", 2031, tmp_path / "x")
    assert str(error.value) == "there are no budgets for 2031; choose a year with budgets"

    argv = ["--db", url.removeprefix("sqlite:///"), "--as", LEADER, "report"]
    code = main([*argv, "plan", "--year", "2031", "--out-dir", str(tmp_path / "y")])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1
    assert "no budgets for 2031" in err
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "y").exists()


def test_the_cli_writes_one_format_in_the_language_asked(demo, tmp_path, capsys):
    url, *_ = demo
    argv = ["--db", url.removeprefix("sqlite:///"), "--as", LEADER, "report"]

    code = main([*argv, "accounts", "--year", "2019", "--format", "pdf", "--language", "nl",
                 "--out-dir", str(tmp_path)])  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        "Jaarrekening 2019 written:",
        f"  {tmp_path / 'annual-accounts-2019.pdf'}",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["annual-accounts-2019.pdf"]
