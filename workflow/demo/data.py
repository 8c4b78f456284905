"""The demo's data: the first assessment round of the Agenda voor Twente 2018-2022.

Facts and figures come from the source documents (see ../shared/domain.md, sections 3, 6.3 and 9);
the seed file and lines are named beside them. Where the documents are silent, the value is a
demo assumption and says so: committee members, steering members and the auditor are fictional
people; organisations marked "(demo)" stand for partners the documents describe but do not name.
"""

from __future__ import annotations

from typing import Any

DOMAIN = "example.org"
LEADER = f"aleid.diepeveen@{DOMAIN}"
TABLE_CHAIR = f"bart.nijhuis@{DOMAIN}"
CHAIR = f"hanneke.wolters@{DOMAIN}"
COMMITTEE = [CHAIR, f"ruud.oosterhof@{DOMAIN}", f"sanne.kuipers@{DOMAIN}", f"marco.hulst@{DOMAIN}"]
STEERING = f"gertjan.brink@{DOMAIN}"
AUDITOR = f"petra.meijer@{DOMAIN}"

PEOPLE = [
    # name, e-mail, roles, organisation, language
    ("Aleid Diepeveen", LEADER, ["programme_leader"], None, "nl"),  # seed 002 L84, L424
    ("Bart Nijhuis", TABLE_CHAIR, ["innovation_table_chair"], None, "nl"),  # fictional
    ("Hanneke Wolters", CHAIR, ["committee_chair", "committee_member"], None, "nl"),  # fictional
    ("Ruud Oosterhof", f"ruud.oosterhof@{DOMAIN}", ["committee_member"], None, "nl"),  # fictional
    ("Sanne Kuipers", f"sanne.kuipers@{DOMAIN}", ["committee_member"], None, "en"),  # fictional
    ("Marco Hulst", f"marco.hulst@{DOMAIN}", ["committee_member"], "Saxion", "nl"),  # fictional
    ("Gert-Jan Brink", STEERING, ["steering_member"], None, "nl"),  # fictional
    ("Petra Meijer", AUDITOR, ["auditor"], None, "nl"),  # fictional
    ("Jeroen van de Lagemaat", f"jeroen.vandelagemaat@{DOMAIN}", ["applicant"],
     "Stichting TalentIT Twente", "nl"),  # project leader TalentIT, seed 003 L1183
    ("Ben Gerrits", f"ben.gerrits@{DOMAIN}", ["applicant"], "Twents Huis van de Logistiek",
     "nl"),  # project leader Huis van de Logistiek, seed 003 L1031
]  # fmt: skip

# No organisation has a Chamber of Commerce (KvK) number here: the documents give none, and a
# registration number is never invented, so the 360Giving export identifies each recipient under
# the publisher's prefix (<prefix>-org-<id>) until `kracht org identify NAME --kvk` records it.
ORGANISATIONS = [
    ("Stichting TalentIT Twente", "education"),  # seed 002 L165
    ("Twents Huis van de Logistiek", "business"),  # public-private, seed 002 L198-204
    ("Mineral Valley Twente", "research"),  # knowledge sharing in test gardens, seed 002 L217-235
    ("Twents Fonds voor Vakmanschap", "education"),  # training vouchers, seed 002 L242-266
    ("Novel-T", "research"),  # knowledge and technology transfer, seed 002 L484-491
    ("ROC van Twente", "education"),
    ("Saxion", "education"),
    ("Universiteit Twente", "research"),
    ("Port of Twente", "business"),  # businesses and employers' organisation, seed 002 L193
    ("Werkplein Twente", "government"),  # 14 municipalities and UWV, seed 002 L194
    ("Gemeente Almelo", "government"),
    ("Twentse IT-bedrijven (demo)", "business"),  # "business" in TalentIT, seed 002 L159
    ("Agrarische ondernemers Twente (demo)", "business"),  # "farmers, business", seed 002 L231
    ("Twentse ondernemers Vakmanschap (demo)", "business"),  # "entrepreneurs", seed 002 L253
    ("Twentse technologiebedrijven (demo)", "business"),  # Annex 1 "entrepreneurs", seed 000
    ("Twentse zorgwerkgevers (demo)", "business"),  # RIF: business + vocational education
    ("Twente Board", "government"),
    ("Provincie Overijssel", "government"),  # Annex 1's co-funder of Novel-T, seed 000 L3636-3640
    # Annex 1's "Onderwijs/ondernemers" and "Overig" co-funders of Novel-T, unnamed there
    # (seed 000 L3636-3640); their types are demo assumptions
    ("Onderwijs en ondernemers Novel-T (demo)", "education"),
    ("Overige financiers Novel-T (demo)", "business"),
]

PROGRAMMES: list[dict[str, Any]] = [
    {
        "code": "avt-2018",
        "name": "Agenda voor Twente 2018-2022",
        "starts_on": "2018-01-10",  # kick-off, seed 002 L353
        "ends_on": "2022-12-31",
        "lines": [
            ("techniek", "Techniek als motor"),
            ("talent", "Arbeidsmarkt & talent"),
            ("bereikbaarheid", "Bereikbaarheid & vestigingsklimaat"),
            ("circulair", "Circulaire economie & duurzaamheid"),
            ("basis", "Basisinfrastructuur"),
        ],
        "not_applicable": {
            "ecosystem_analysis": "the 2018-2022 process runs innovation table, assessment "
            "committee, steering committee; it has no ecosystem analysis (seed 002 L121-136)",
        },
        # Beside the criteria of kracht's default configuration (`kracht programme configure`):
        "tracks": [
            {
                "key": "basis",
                "name": "Basisinfrastructuur",
                "lines": ["basis"],
                "stages": ["idea", "steering_decision"],
                "reason": "the partners of the basic infrastructure made a joint offer with "
                "individual requests, which the steering committee decided on directly "
                "(seed 002 L300-325)",
            }
        ],
        "periods": [
            {
                "from": "2018-01-10",  # kick-off, seed 002 L353
                "name": "Agenda voor Twente 2018-2022",
                "waive": ["co_financing_business", "smart_indicators"],
                "reason": "a co-financing company became a condition with the strategic plan "
                "2020-2025 (seed 001 L261), SMART project indicators with the 2023-2027 "
                "programme (seed 000 L3373-3377)",
            },
            {
                "from": "2020-01-01",  # demo assumption: the plan's first year
                "name": "Strategisch plan 2020-2025",
                "waive": ["smart_indicators"],
                "reason": "from 2020 a project needs at least one co-financing company "
                "(seed 001 L261); SMART indicators came with the 2023-2027 programme",
            },
        ],
    },
    {
        "code": "avt-2023",
        "name": "Agenda voor Twente 2023-2027",
        "starts_on": "2023-01-01",
        "ends_on": "2027-12-31",
        "lines": [("energie", "Slimme energie"), ("talent", "Talent")],
        "not_applicable": {
            "innovation_table": "from 2023 Twente Board Development develops projects with an "
            "ecosystem analysis; there are no innovation tables (seed 000 L3452-3499)",
        },
    },
]

# An application of the first round counts as submitted on the day its table met (a demo
# assumption: the documents date the tables, not the applications).
TABLE_DATES = {  # innovation tables met per action line in 2018, seed 002 L631-710
    "talent": "2018-09-17",
    "techniek": "2018-10-03",
    "circulair": "2018-10-10",
    "bereikbaarheid": "2018-06-21",
}

# The first round: five applications were assessed in October 2018, four granted in December
# (seed 002 L25-26, L112-131). The documents give the month of that steering meeting, not its
# day: the demo assumes Thursday 13 December 2018. The basic-infrastructure requests were decided
# at the meeting of 31 October 2018 (seed 002 L303-306). Each decision is entered today with
# its meeting day: its letter is dated by it, the budget year and the report schedule follow.
GRANTED_ON = "2018-12-13"  # demo assumption: the day of the December 2018 meeting
BASIS_DECIDED_ON = "2018-10-31"  # seed 002 L305-306
# The committee's scoring rounds are recorded as past rounds: it assessed in October 2018
# (seed 002 L421-424), after the last table (10 October); the days scoring opened and closed are
# demo assumptions, the second round being Mineral Valley's, after its rework in November.
SCORING_ROUNDS = {1: ("2018-10-15", "2018-10-26"), 2: ("2018-11-12", "2018-11-23")}
# The fifth application is unnamed in the documents. Beside them, the demo's conditional
# approval and deferral come from the documented basic-infrastructure decisions: the partners'
# joint offer for 2019, which the steering committee decided on directly (seed 002 L300-325),
# on the programme's basis track (no table, no committee).
# A partner is (organisation, co-financing, commitment[, euros for money | hours for time[, the
# money's source]]). The documents say the co-financing businesses commit time, not how much: the
# hours are assumptions. Money without a source is private for a business (workflow.co_financing).
ROUND = [
    {
        "title": "TalentIT Twente",
        "applicant": "Stichting TalentIT Twente",
        "line": "talent",
        "requested": "64389",  # seed 002 L151
        "description": "Students combine IT study with a relevant job and a job guarantee.",
        "partners": [("Twentse IT-bedrijven (demo)", True, "time", 2000),
                     ("Saxion", False, "knowledge"), ("Universiteit Twente", False, "knowledge"),
                     ("ROC van Twente", False, "knowledge")],
        "indicator": ("students placed with Twente IT firms", "students", "0", "150"),
        "outcome": "approve",
        "decided_on": GRANTED_ON,
        "reason": "new approach in which several O's cooperate; strengthens the region by "
                  "keeping talent (seed 002 L168-173)",
    },
    {
        "title": "Twents Huis van de Logistiek",
        "applicant": "Twents Huis van de Logistiek",
        "line": "talent",
        "requested": "170000",  # seed 002 L179
        "description": "Fewer shortages of logistics staff: inflow, matching and skills training.",
        "partners": [("Port of Twente", True, "time", 1500), ("Werkplein Twente", False, "time"),
                     ("Gemeente Almelo", False, "money", "19720", "municipal"),  # 002 L205-207
                     ("ROC van Twente", False, "knowledge"), ("Saxion", False, "knowledge")],
        "indicator": ("people placed in logistics jobs", "people", "0", "1000"),
        "outcome": "approve",
        "decided_on": GRANTED_ON,
        "reason": "distinctive public-private cooperation; forerunner of Skills Twente "
                  "(seed 002 L198-204)",
    },
    {
        "title": "Mineral Valley Twente",
        "applicant": "Mineral Valley Twente",
        "line": "circulair",
        "requested": "500000",  # over 2018-2022, seed 002 L214
        "description": "Test gardens for soil health and manure processing, with farmers.",
        "partners": [("Agrarische ondernemers Twente (demo)", True, "time", 3000),
                     ("Universiteit Twente", False, "knowledge")],
        "indicator": ("test gardens running", "test gardens", "0", "10"),
        "rework": "business commitment below the minimum: elaborate the role of the farmers "
                  "and businesses before the decision (seed 002 L129-131)",
        "outcome": "approve",
        "decided_on": GRANTED_ON,
        "spread_until": 2022,  # "EUR 500,000 in the period 2018-2022", seed 002 L214
        "reason": "turns a societal challenge in agriculture into an economic opportunity; "
                  "future-proof (seed 002 L217-239)",
    },
    {
        "title": "Twents Fonds voor Vakmanschap",
        "applicant": "Twents Fonds voor Vakmanschap",
        "line": "talent",
        "requested": "500000",  # seed 002 L244
        "description": "Training vouchers for lifelong learning up to MBO level 4.",
        "partners": [("Twentse ondernemers Vakmanschap (demo)", True, "time", 1000),
                     ("ROC van Twente", False, "knowledge")],
        "indicator": ("vouchers used for retraining", "vouchers", "0", "1000"),
        "outcome": "approve",
        "decided_on": GRANTED_ON,
        "reason": "innovative approach noted by the national government; region-wide support "
                  "(seed 002 L263-266)",
    },
    {
        "title": "Novel-T basisinfrastructuur 2019",
        "applicant": "Novel-T",
        "line": "basis",
        "round": "basis-2019",  # the joint offer for 2019, seed 002 L300-305
        "submitted_on": "2018-10-01",  # "begin oktober" (seed 002 L302): the day is assumed
        # The documents give no 2019 request; this is AvT's Novel-T contribution 2018-2020 from
        # Annex 1 (seed 000 L3640), used here as the request: a demo assumption.
        "requested": "1335000",
        "budget_total": "9987400",  # the Annex 1 row's four columns together [computed]
        "description": "Knowledge and technology transfer, business acceleration, cluster agenda.",
        # The co-funding beside AvT's in the same Annex 1 row (seed 000 L3636-3640): the
        # province's; and "Onderwijs/ondernemers" and "Overig", other money, since the annex
        # lumps education (public or private) with entrepreneurs.
        "partners": [("Twentse technologiebedrijven (demo)", True, "knowledge"),
                     ("Universiteit Twente", False, "knowledge"),
                     ("Provincie Overijssel", False, "money", "3270000", "provincial"),
                     ("Onderwijs en ondernemers Novel-T (demo)", False, "money", "4557400",
                      "other"),
                     ("Overige financiers Novel-T (demo)", False, "money", "825000", "other")],
        "indicator": ("companies accelerated", "companies", "0", "100"),
        "outcome": "approve_with_conditions",
        "decided_on": BASIS_DECIDED_ON,
        "conditions": [  # seed 002 L319-322; due dates and owner are demo assumptions
            ("2019-01-31", LEADER, "show in the 2019 implementation plan how Novel-T "
                                   "contributes to the innovation tables"),
            ("2019-03-31", LEADER, "broaden its work to the whole region"),
        ],
        # met on a day the demo assumes, before its due date
        "met": {1: ("2019-01-24", "2019 implementation plan received, with a paragraph per "
                                  "innovation table")},
        "reason": "granted on the basis of the 2019 implementation plan, under conditions",
    },
    {
        "title": "RIF / ROC van Twente 2018",
        "applicant": "ROC van Twente",
        "line": "basis",
        "round": "basis-2019",
        "submitted_on": "2018-10-01",
        "requested": "100000",  # demo assumption: the documents give no amount for this item
        "description": "Cooperation of business, vocational education and government (RIF).",
        "partners": [("Twentse zorgwerkgevers (demo)", True, "time", 500)],
        "indicator": ("joint vocational programmes", "programmes", "0", "3"),
        "outcome": "defer",
        "decided_on": BASIS_DECIDED_ON,
        "deferred_until": "2019-01-01",
        "reason": "more parties are needed; moved to 2019 (seed 002 L291, L463)",
    },
]  # fmt: skip

# Initiatives still in the pipeline at the end of 2018 (seed 002 L504-553), and one from 2023.
PIPELINE = [
    {"title": "SmartView", "applicant": "Universiteit Twente", "line": "techniek",
     "quickscan": "smart technology for development and skills training; presented 3 Oct 2018",
     "stage": "innovation_table"},
    {"title": "Smart Region Twente", "applicant": "Universiteit Twente", "line": "techniek",
     "quickscan": "smart city developments; presented 3 Oct 2018", "stage": "innovation_table"},
    {"title": "Twentse Maakplaatsen", "applicant": "ROC van Twente", "line": "talent",
     "quickscan": None, "stage": "idea"},
    {"title": "H2 hub Twente", "applicant": "Twente Board", "line": "energie",
     "programme": "avt-2023", "quickscan": "hydrogen hub for the region (seed 000 L2122-2127)",
     "stage": "ecosystem_analysis"},
]  # fmt: skip

# Individual KRACHT scores. The documents give no scores at all (domain.md 5.1): these are demo
# values, one row per member in COMMITTEE order, criteria in the order of the default
# configuration (innovation, cooperation, business_commitment, economic_impact,
# regional_support, future_proof). A recused member's row is never used.
SCORES: dict[str, list[list[list[int]]]] = {  # title -> rounds -> members -> criteria
    "TalentIT Twente": [[[5, 4, 4, 4, 3, 4], [4, 4, 4, 3, 3, 4], [5, 5, 3, 4, 4, 4],
                         [4, 4, 4, 4, 3, 4]]],
    "Twents Huis van de Logistiek": [[[4, 5, 5, 4, 4, 4], [4, 5, 4, 4, 3, 4], [5, 4, 5, 5, 4, 4],
                                      [4, 4, 4, 4, 4, 4]]],
    "Mineral Valley Twente": [
        [[5, 4, 2, 3, 3, 5], [4, 4, 1, 3, 3, 5], [5, 3, 2, 4, 3, 5], [4, 4, 1, 3, 4, 4]],
        [[5, 4, 4, 4, 4, 5], [4, 4, 3, 4, 3, 5], [5, 4, 4, 4, 4, 5], [4, 4, 4, 3, 4, 4]],
    ],
    "Twents Fonds voor Vakmanschap": [[[4, 5, 4, 4, 5, 4], [4, 4, 4, 4, 2, 4], [5, 5, 4, 4, 5, 4],
                                       [4, 4, 4, 4, 4, 4]]],
}  # fmt: skip

ADVICE = {
    "TalentIT Twente": "positive",
    "Twents Huis van de Logistiek": "positive",
    "Mineral Valley Twente": "positive",
    "Twents Fonds voor Vakmanschap": "positive",
}

# Budgets (domain.md 6.1): EUR 7.50 per inhabitant in 2018, a volume of EUR 3.8 mln: EUR 1.8 mln
# for the basic infrastructure and EUR 2 mln for projects and initiatives (seed 002 L392-412).
# Assumption: the same EUR 2 mln for projects in each later year of the period, so that
# Mineral Valley's multi-year grant can be charged per year. The documents' "about EUR 550k"
# remaining (seed 002 L137) does not follow from their own figures (domain.md 6.3); kracht
# computes what remains from these budgets instead of copying that figure.
BUDGETS = [
    # programme, line (None: every line without its own), year, kind, amount or (inhabitants, rate)
    *[("avt-2018", None, year, "projects", "2000000") for year in range(2018, 2023)],
    ("avt-2018", "basis", 2018, "projects", "1800000"),
    # 2023: EUR 4.08 per inhabitant for programmes and projects (seed 000 L3170-3208), for the
    # inhabitants of the municipalities' file: about 506,667, inferred from EUR 3.8 mln at
    # EUR 7.50 (domain.md 10, item 22; states/programmes/twente_municipalities.toml).
    ("avt-2023", None, 2023, "projects", ("municipalities", "4.08")),
    ("avt-2023", None, 2023, "development", "258400.17"),  # the 12.5% cap, to the cent
]

# The 2019 advances of the four first-round grants. The documents say nothing of how the grants
# were paid: every figure here is a demo assumption. Each grant's advance is half of its part
# charged to 2018 (Mineral Valley's EUR 500,000 is spread over 2018-2022, so EUR 100,000 of it),
# requested and approved by the programme leader and paid on 15 January 2019; above kracht's
# default amount for a second approval (EUR 100,000) the steering member approves it too.
ADVANCE_SHARE = (1, 2)  # half of the grant's 2018 part
ADVANCES_PAID_ON = "2019-01-15"
ADVANCES = ("TalentIT Twente", "Twents Huis van de Logistiek", "Mineral Valley Twente",
            "Twents Fonds voor Vakmanschap")  # fmt: skip
