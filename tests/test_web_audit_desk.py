"""The auditor's desk on the web: the trail, its tree and the tables held against it, and a
signed checkpoint to download, for an auditor who never opens a terminal."""

import sqlalchemy as sa

from kracht.basics.checkpoints import SigningKey
from kracht.notifications.settings import Audit
from kracht.storage.database import engine_for
from kracht.storage.tables import GrantAllocation
from tests import factories as f
from tests.factories import make_application
from tests.web_server import running, signed_in

NAME = "agendavoortwente.nl/kracht"


def test_the_desk_shows_the_root_and_gives_a_checkpoint_that_opens_with_the_key(world, tmp_path):
    make_application(world, stage="monitoring")
    key = SigningKey.generate(NAME)
    path = tmp_path / "audit.key"
    path.write_text(key.private_text())
    with running(world.url, audit=Audit(key=str(path))) as base:
        auditor = signed_in(base, world.url, f.AUDITOR)
        desk = auditor.get("/audit")
        download = auditor.get("/audit/checkpoint")

    opened = key.verifier().open(download.text)
    assert desk.status_code == download.status_code == 200
    assert "De tabellen zeggen wat de audittrail zegt" in desk.text
    assert 'href="/audit/checkpoint"' in desk.text
    assert f"Merkle-boom over {opened.size} gebeurtenissen" in desk.text
    assert opened.root.hex() in desk.text
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="kracht-checkpoint-'
    )


def test_the_desk_names_a_grant_changed_behind_krachts_back(world):
    app_id = make_application(world, stage="monitoring")
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.update(GrantAllocation).values(amount_cents=1))
    with running(world.url) as base:
        auditor = signed_in(base, world.url, f.AUDITOR)
        desk = auditor.get("/audit")
        missing = auditor.get("/audit/checkpoint")

    assert "De tabellen wijken af van de audittrail; rijen die afwijken: 1" in desk.text
    assert f"(application {app_id}): amount_cents is 1, the trail says 6438900" in desk.text
    assert "Nog geen sleutel voor controlepunten" in desk.text
    assert missing.status_code == 404


def test_the_timeline_marks_a_refused_attempt_as_changing_nothing(world):
    import pytest

    from kracht.basics.errors import GuardRefused
    from kracht.workflow import engine
    from tests.factories import run

    app_id = make_application(world, stage="idea")
    with pytest.raises(GuardRefused):
        run(world.url, f.LEADER, engine.fire, app_id, "present_at_table")
    with running(world.url) as base:
        page = signed_in(base, world.url, f.AUDITOR).get(f"/audit/applications/{app_id}").text

    row = page[page.index('<tr class="aud-refused">') :]
    row = row[: row.index("</tr>")]
    assert "Geweigerde pogingen staan gemarkeerd: ze veranderden niets." in page
    assert "<strong>geweigerd</strong>" in row
    assert "bleef in" in row
    assert "&rarr;" not in row
    assert page.count('class="aud-refused"') == 1
