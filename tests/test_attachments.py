"""Attached documents (issue 17, point 3): uploaded, listed and downloaded byte for byte, their
SHA-256 in the audit trail, refused in one line when too big, empty, of a type not taken or
named badly, a changed stored copy refused as damaged, kept when the record is final; on the
command line and on the web, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from kracht.basics.errors import Damaged, InvalidInput, NotAllowed, NotFound, NotPermitted
from kracht.cli import main
from kracht.notifications.settings import load
from kracht.storage import audit, audit_check
from kracht.storage.database import engine_for, session
from kracht.storage.tables import AttachmentBlob
from kracht.web.pages.attachment_pages import disposition
from kracht.workflow.services import attachments, decisions, monitor_views
from tests import factories as f
from tests.factories import make_application, run
from tests.web_server import csrf_of, running, signed_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _office(folder: str) -> bytes:
    """A minimal Office Open XML package: its content types and one part under `folder`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


def _add(world, app_id, name="plan.pdf", data=PDF, who=f.APPLICANT, **kw):
    return run(world.url, who, attachments.add, app_id, name, data, **kw)


def _attachment_events(url, app_id):
    with session(url) as db:
        return [e for e in audit.history(db, app_id) if e["action"] == "attachment.add"]


def _stored_path(url: str, sha256: str) -> Path:
    database = sa.make_url(url).database
    return Path(f"{database}-attachments") / sha256[:2] / sha256


# -- upload, list, download -----------------------------------------------------------------------


def test_an_attachment_round_trips_byte_for_byte_with_its_hash_in_the_trail(any_world):
    world = any_world
    app_id = make_application(world, "idea")

    added = _add(world, app_id, "Volledig voorstel 2018.pdf", kind="proposal")
    sheet = _add(world, app_id, "begroting.xlsx", _office("xl/"), kind="budget")

    row = added["attachment"]
    assert (row["number"], row["belongs_to"], row["kind"]) == (1, "application", "proposal")
    assert (row["file_name"], row["media_type"], row["size"]) == (
        "Volledig voorstel 2018.pdf", "application/pdf", len(PDF),
    )  # fmt: skip
    assert row["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert sheet["attachment"]["media_type"].endswith("spreadsheetml.sheet")
    listed = run(world.url, f.LEADER, attachments.list_attachments, app_id)
    assert [a["file_name"] for a in listed] == ["Volledig voorstel 2018.pdf", "begroting.xlsx"]
    got = run(world.url, f.MEMBER, attachments.read, row["id"])  # any insider may read it
    assert got["data"] == PDF
    assert got["attachment"] == row
    [event, _] = _attachment_events(world.url, app_id)
    assert (event["seq"], event["actor"], event["outcome"]) == (added["event"], f.APPLICANT, "ok")
    payload = event["payload"]
    assert {k: payload[k] for k in ("file_name", "size", "media_type", "sha256")} == {
        "file_name": "Volledig voorstel 2018.pdf", "size": len(PDF),
        "media_type": "application/pdf", "sha256": hashlib.sha256(PDF).hexdigest(),
    }  # fmt: skip
    assert "data" not in payload
    assert PDF.decode("latin-1") not in str(payload)
    with session(world.url) as db:
        assert audit_check.verify(db).intact


def test_sqlite_keeps_the_bytes_content_addressed_beside_the_database(world):
    app_id = make_application(world, "idea")
    first = _add(world, app_id)["attachment"]
    again = _add(world, app_id, "copy.pdf")["attachment"]  # the same bytes: kept once

    path = _stored_path(world.url, first["sha256"])
    assert path.read_bytes() == PDF
    assert first["sha256"] == again["sha256"]
    assert first["id"] != again["id"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temporary file left behind


@pytest.mark.postgres
def test_postgresql_keeps_the_bytes_in_the_database_or_in_a_configured_folder(
    pg_url, tmp_path, monkeypatch
):
    world = f.seed(pg_url)
    app_id = make_application(world, "idea")
    inside = _add(world, app_id)["attachment"]
    other = make_application(world, "idea", title="Tweede")
    again = _add(world, other, "same.pdf")["attachment"]  # the same bytes: one row
    with session(pg_url) as db:
        assert db.get(AttachmentBlob, inside["sha256"]).data == PDF
        assert db.exec(sa.select(sa.func.count()).select_from(AttachmentBlob)).one()[0] == 1
    assert run(pg_url, f.LEADER, attachments.read, again["id"])["data"] == PDF

    monkeypatch.setenv("KRACHT_ATTACHMENTS_FOLDER", str(tmp_path / "files"))
    outside = _add(world, app_id, "photo.png", PNG)["attachment"]

    sha = outside["sha256"]
    assert (tmp_path / "files" / sha[:2] / sha).read_bytes() == PNG
    with session(pg_url) as db:
        assert db.get(AttachmentBlob, sha) is None
    assert run(pg_url, f.LEADER, attachments.read, outside["id"])["data"] == PNG


# -- refused in one line --------------------------------------------------------------------------

REFUSED = {
    "empty": ("plan.pdf", b"", "file 'plan.pdf' is empty (0 bytes); give the file itself"),
    "wrong type by content": (
        "plan.pdf", PNG,
        "file 'plan.pdf' is named .pdf but its content is not a PDF; give the document itself",
    ),
    "a program named .pdf": (
        "plan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 60,
        "file 'plan.pdf' is named .pdf but its content is not a PDF (it is a Windows program); "
        "give the document itself",
    ),
    "a Linux program named .txt": (
        "notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 60,
        "file 'notes.txt' is named .txt but its content is not a text file (it is a Linux "
        "program); give the document itself",
    ),
    "a PDF named .docx": (
        "plan.docx", PDF,
        "file 'plan.docx' is named .docx but its content is not a Word document (.docx); give "
        "the document itself",
    ),
    "a spreadsheet named .docx": (
        "plan.docx", _office("xl/"),
        "file 'plan.docx' is named .docx but its content is not a Word document (.docx); give "
        "the document itself",
    ),
    "a type not taken": (
        "setup.exe", b"MZ\x90\x00",
        "file 'setup.exe' is not of a type taken here; give one of .pdf, .xlsx, .xls, .docx, "
        ".doc, .odt, .ods, .csv, .txt, .png, .jpg, .jpeg",
    ),
    "a path in the name": (
        "../../etc/passwd", b"root:x:0:0\n",
        "file name '../../etc/passwd' holds a folder; give the file's own name, such as plan.pdf",
    ),
    "a Windows path in the name": (
        "C:\\Users\\x\\plan.pdf", PDF,
        "file name 'C:\\\\Users\\\\x\\\\plan.pdf' holds a folder; give the file's own name, such "
        "as plan.pdf",
    ),
    "a control character in the name": (
        "plan\n.pdf", PDF,
        "file name holds the control character U+000A at character 5; rename the file",
    ),
    "a right-to-left override in the name": (
        "plan\u202efdp.exe", PDF,
        "file name holds the control character U+202E at character 5; rename the file",
    ),
    "no name": ("  ", PDF, "file name: give the file's name"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_file_kracht_does_not_take_is_refused_in_one_line_and_nothing_is_kept(world, case):
    name, data, message = REFUSED[case]
    app_id = make_application(world, "idea")

    with pytest.raises(InvalidInput) as refused:
        _add(world, app_id, name, data)

    assert str(refused.value) == message
    assert refused.value.field in ("attachment_file", "file_name")
    assert run(world.url, f.LEADER, attachments.list_attachments, app_id) == []
    assert _attachment_events(world.url, app_id) == []
    folder = Path(f"{sa.make_url(world.url).database}-attachments")
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_file_above_the_limit_is_refused_with_the_limit_named(world, monkeypatch):
    monkeypatch.setenv("KRACHT_ATTACHMENTS_MAX_MB", "1")
    app_id = make_application(world, "idea")
    big = PDF + b"\x00" * (2**20)

    with pytest.raises(InvalidInput) as refused:
        _add(world, app_id, "plan.pdf", big)

    assert str(refused.value) == (
        f"file 'plan.pdf' is 1.0 MB ({len(big):,} bytes); the limit is 1 MB"
    )
    assert _add(world, app_id, "plan.pdf", PDF)["attachment"]["size"] == len(PDF)


def test_the_types_taken_may_be_narrowed_and_an_unknown_type_is_refused(world, monkeypatch):
    config = Path(world.url.removeprefix("sqlite:///")).parent / "kracht.toml"
    config.write_text('[attachments]\ntypes = "pdf"\n')
    monkeypatch.setenv("KRACHT_CONFIG", str(config))
    app_id = make_application(world, "idea")

    with pytest.raises(InvalidInput) as refused:
        _add(world, app_id, "photo.png", PNG)
    assert str(refused.value) == "file 'photo.png' is not of a type taken here; give one of .pdf"

    config.write_text('[attachments]\ntypes = "pdf,exe"\n')
    with pytest.raises(InvalidInput) as refused:
        load()
    assert str(refused.value).startswith(
        "settings: [attachments] types names no file type 'exe'; the types are pdf, xlsx"
    )


def test_text_and_open_document_files_are_taken_by_their_content(world):
    app_id = make_application(world, "idea")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", "<office:document-content/>")

    taken = [
        _add(world, app_id, "cijfers.csv", "naam;bedrag\nTalentIT;€ 1.234,56\n".encode("cp1252")),
        _add(world, app_id, "notes.txt", "Één regel\n".encode()),
        _add(world, app_id, "begroting.ods", buffer.getvalue()),
        _add(world, app_id, "plan.docx", _office("word/")),
        _add(world, app_id, "foto.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
    ]

    assert [t["attachment"]["media_type"] for t in taken] == [
        "text/csv", "text/plain", "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/jpeg",
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        _add(world, app_id, "odd.csv", b"a,b\x00\x01\n")  # NUL bytes: not text


# -- damaged copies ----------------------------------------------------------------------------


def test_a_changed_stored_copy_is_refused_as_damaged_on_read(any_world):
    world = any_world
    app_id = make_application(world, "idea")
    row = _add(world, app_id)["attachment"]
    sha = row["sha256"]
    if world.url.startswith("sqlite"):
        path = _stored_path(world.url, sha)
        path.write_bytes(PDF.replace(b"Catalog", b"Catalig"))
    else:
        with engine_for(world.url).begin() as db:
            db.execute(sa.update(AttachmentBlob.__table__).values(data=b"%PDF-1.7 other"))

    with pytest.raises(Damaged) as refused:
        run(world.url, f.LEADER, attachments.read, row["id"])

    assert str(refused.value).startswith(
        f"attachment {row['id']} (plan.pdf) is damaged: its stored bytes have SHA-256 "
    )
    assert str(refused.value).endswith(f"not the {sha} recorded; restore the file from a backup")
    assert (refused.value.exit_code, refused.value.http_status) == (7, 500)


def test_missing_bytes_are_damaged_too_and_a_changed_file_is_never_overwritten(world):
    app_id = make_application(world, "idea")
    row = _add(world, app_id)["attachment"]
    path = _stored_path(world.url, row["sha256"])
    path.write_bytes(b"changed")

    with pytest.raises(Damaged) as clash:  # the same content again finds the changed copy
        _add(world, app_id)
    assert "holds a changed file at" in str(clash.value)
    assert path.read_bytes() == b"changed"  # left for whoever looks into it
    path.unlink()
    with pytest.raises(Damaged) as gone:
        run(world.url, f.LEADER, attachments.read, row["id"])
    assert "its stored bytes are missing" in str(gone.value)


# -- who may, and kept when final ---------------------------------------------------------------


def test_who_may_attach_list_and_read(world):
    app_id = make_application(world, "idea")
    row = _add(world, app_id)["attachment"]

    for who in (f.MEMBER, f.STEERING, f.AUDITOR, f.OUTSIDER):
        with pytest.raises(NotPermitted):
            _add(world, app_id, who=who)
    for who in (f.OUTSIDER,):  # another organisation's applicant sees none of it
        with pytest.raises(NotPermitted):
            run(world.url, who, attachments.list_attachments, app_id)
        with pytest.raises(NotPermitted):
            run(world.url, who, attachments.read, row["id"])
    with pytest.raises(NotFound):
        run(world.url, f.LEADER, attachments.read, 999)
    refusals = [e for e in _events(world.url) if e["action"] == "attachment.add"]
    assert [e["outcome"] for e in refusals] == ["ok"] + ["refused"] * 4  # refusals are audited


def _events(url):
    with session(url) as db:
        return audit.history(db)


def test_attachments_are_kept_when_the_record_is_final(world):
    app_id = make_application(world, "steering_decision")
    proposal = _add(world, app_id, kind="proposal")["attachment"]
    run(world.url, f.STEERING, decisions.decide, app_id, "reject", reason="not innovative",
        departure_rationale="the market moved on")  # fmt: skip

    minutes = _add(world, app_id, "besluit.pdf", who=f.STEERING, decision=True)["attachment"]
    with pytest.raises(NotAllowed) as refused:
        _add(world, app_id, "late.pdf")
    late = _add(world, app_id, "archief.pdf", who=f.LEADER)["attachment"]

    assert str(refused.value) == (
        f"application {app_id} is rejected; its record is final, and only a programme leader "
        "attaches documents to it"
    )
    assert minutes["belongs_to"] == "decision"
    assert minutes["decision_seq"] is not None
    [decision] = [e for e in _events(world.url) if e["trigger"] == "reject"]
    assert minutes["decision_seq"] == decision["seq"]
    listed = run(world.url, f.APPLICANT, attachments.list_attachments, app_id)
    assert [a["id"] for a in listed] == [proposal["id"], minutes["id"], late["id"]]
    assert run(world.url, f.APPLICANT, attachments.read, proposal["id"])["data"] == PDF
    assert not hasattr(attachments, "remove")
    assert not hasattr(attachments, "delete")


def test_a_decision_attachment_needs_a_decision_and_a_decider(world):
    app_id = make_application(world, "idea")
    with pytest.raises(NotAllowed) as none_yet:
        _add(world, app_id, who=f.LEADER, decision=True)
    with pytest.raises(NotPermitted):
        _add(world, app_id, who=f.APPLICANT, decision=True)
    assert str(none_yet.value) == f"application {app_id} has no steering decision yet"


def test_a_progress_report_takes_its_attachments(world):
    app_id = make_application(world, "monitoring")
    label = run(world.url, f.LEADER, monitor_views.project, app_id)["reports"][0]["label"]

    row = _add(world, app_id, "voortgang.pdf", report=label)["attachment"]

    assert (row["belongs_to"], row["report"]) == ("report", label)
    assert run(world.url, f.LEADER, attachments.list_attachments, app_id)[0]["report"] == label
    with pytest.raises(NotFound) as unknown:
        _add(world, app_id, report="1999-Q1")
    assert str(unknown.value) == f"no report '1999-Q1'; of application {app_id}"


# -- the command line ---------------------------------------------------------------------------


def test_the_command_line_attaches_lists_and_gets_an_attachment(world, tmp_path, capsysbinary):
    app_id = make_application(world, "idea")
    source = tmp_path / "voorstel.pdf"
    source.write_bytes(PDF)
    base = ["--db", world.url, "--as", f.APPLICANT]

    assert main([*base, "attach", str(app_id), str(source), "--kind", "proposal"]) == 0
    said = capsysbinary.readouterr().out.decode()
    assert said.startswith(f"attachment 1 (voorstel.pdf, application/pdf, {len(PDF)} bytes) "
                           f"added to application {app_id}; SHA-256 ")  # fmt: skip
    assert main([*base, "attachments", str(app_id), "--json"]) == 0
    assert '"sha256": "' + hashlib.sha256(PDF).hexdigest() in capsysbinary.readouterr().out.decode()
    out = tmp_path / "out.pdf"
    assert main([*base, "attachment", "get", "1", "-o", str(out)]) == 0
    assert out.read_bytes() == PDF
    capsysbinary.readouterr()
    assert main([*base, "attachment", "get", "1"]) == 0  # standard output is no terminal here
    assert capsysbinary.readouterr().out == PDF

    evil = tmp_path / "evil.pdf"
    evil.write_bytes(b"MZ\x90\x00")
    assert main([*base, "attach", str(app_id), str(evil)]) == 1
    assert capsysbinary.readouterr().err.decode().strip() == (
        "kracht: file (FILE) 'evil.pdf' is named .pdf but its content is not a PDF (it is a "
        "Windows program); give the document itself"
    )
    _stored_path(world.url, hashlib.sha256(PDF).hexdigest()).write_bytes(b"%PDF-1.7 changed")
    assert main([*base, "attachment", "get", "1", "-o", str(out)]) == 7
    assert "is damaged" in capsysbinary.readouterr().err.decode()
    assert out.read_bytes() == PDF  # nothing written over it


def test_bytes_are_not_written_to_a_terminal(world, monkeypatch, capsys):
    app_id = make_application(world, "idea")
    _add(world, app_id)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)

    code = main(["--db", world.url, "--as", f.LEADER, "attachment", "get", "1"])

    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "kracht: attachment 1 is a file, not text: give -o FILE, or redirect the output"
    )


# -- the web ------------------------------------------------------------------------------------


def test_the_content_disposition_is_safe_for_any_name():
    assert disposition('plan "final";\\x.pdf') == (
        'attachment; filename="plan _final___x.pdf"; '
        "filename*=UTF-8''plan%20%22final%22%3B%5Cx.pdf"
    )
    assert disposition("begroting €.pdf") == (
        "attachment; filename=\"begroting _.pdf\"; filename*=UTF-8''begroting%20%E2%82%AC.pdf"
    )


def test_the_web_lists_uploads_and_downloads_attachments(any_world):
    world = any_world
    app_id = make_application(world, "idea")
    with running(world.url) as base:
        applicant = signed_in(base, world.url, f.APPLICANT)
        page = applicant.get(f"/applications/{app_id}")
        assert 'enctype="multipart/form-data"' in page.text
        token = csrf_of(page.text)

        sent = applicant.post(
            f"/applications/{app_id}/attachments",
            data={"csrf": token, "kind": "budget"},
            files={"file": ("begroting €.pdf", PDF, "application/octet-stream")},
        )
        assert sent.status_code == 303, sent.text[:500]
        assert sent.headers["location"] == f"/applications/{app_id}?attached=1#attachments"
        [row] = run(world.url, f.LEADER, attachments.list_attachments, app_id)
        assert (row["file_name"], row["kind"], row["added_by"]) == (
            "begroting €.pdf",
            "budget",
            f.APPLICANT,
        )
        page = applicant.get(f"/applications/{app_id}").text
        assert f'href="/applications/{app_id}/attachments/{row["id"]}"' in page
        assert "begroting €.pdf" in page
        assert "<td>begroting</td>" in page  # its kind, in the applicant's language

        got = applicant.get(f"/applications/{app_id}/attachments/{row['id']}")
        assert got.status_code == 200
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"] == disposition("begroting €.pdf")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "no-store"

        wrong = applicant.get(f"/applications/{app_id + 1}/attachments/{row['id']}")
        assert wrong.status_code in (403, 404)
        refused = applicant.post(
            f"/applications/{app_id}/attachments",
            data={"csrf": token},
            files={"file": ("plan.pdf", b"MZ\x90\x00", "application/pdf")},
        )
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text
        assert "its content is not a PDF (it is a Windows program)" in refused.text
        forged = applicant.post(
            f"/applications/{app_id}/attachments",
            data={"csrf": "not-the-token"},
            files={"file": ("plan.pdf", PDF, "application/pdf")},
        )
        assert forged.status_code == 403
        assert len(run(world.url, f.LEADER, attachments.list_attachments, app_id)) == 1

        member = signed_in(base, world.url, f.MEMBER)
        assert 'enctype="multipart/form-data"' not in member.get(f"/applications/{app_id}").text
        assert member.get(f"/applications/{app_id}/attachments/{row['id']}").content == PDF
        outsider = httpx.get(f"{base}/applications/{app_id}/attachments/{row['id']}", timeout=60)
        assert outsider.status_code == 303  # to the sign-in page
