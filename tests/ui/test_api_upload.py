"""POST /api/v1/documents on a real server: the UI's checks and limits, atomic, answerable at once."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from ui_helpers import UPLOAD_LIMIT, Server

from ui.uploads import MAX_FILES

NOTE = ("Quarterly note on Zentrix Robotics\n\nZentrix Robotics reported fiscal 2025 revenue of $812 million, "
        "up 31% year over year, driven by warehouse automation orders.\n")


def assert_refused(server: Server, r: httpx.Response, status: int, code: str) -> None:
    """Refused with ``status``/``code``; the index generation and the uploads folder are untouched."""
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and "Traceback" not in r.text


def unchanged(server: Server) -> Callable[[], None]:
    root, docs = server.ws.qa.snapshot.root, set(server.ws.index.docs)
    kept = set(server.ws.uploads_dir.glob("*")) if server.ws.uploads_dir.exists() else set()

    def check() -> None:
        assert server.ws.qa.snapshot.root == root and set(server.ws.index.docs) == docs
        now = set(server.ws.uploads_dir.glob("*")) if server.ws.uploads_dir.exists() else set()
        assert now == kept

    return check


def test_upload_is_answerable_at_once_and_idempotent(server: Server, api: httpx.Client) -> None:
    before = api.get("/documents").json()["total"]
    r = api.post("/documents", files=[("files", ("zentrix note.txt", NOTE.encode(), "text/plain"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"] == ["zentrix-note.txt"] and body["documents"] == before + 1 and body["skipped"] == []
    assert "You can ask about it now" in body["message"]
    listed = {d["id"]: d for d in api.get("/documents").json()["documents"]}
    assert listed["zentrix-note.txt"]["kind"] == "txt"
    answer = api.post("/ask", json={"question": "What was Zentrix Robotics' fiscal 2025 revenue?"}).json()
    assert not answer["abstained"] and "812" in answer["answer"]
    c = next(c for c in answer["citations"] if c["doc"] == "zentrix-note.txt")
    assert api.get("/documents/zentrix-note.txt").json()["raw"][c["start"]:c["end"]] == c["text"]
    again = api.post("/documents", files=[("files", ("zentrix note.txt", NOTE.encode(), "text/plain"))])
    assert again.status_code == 200 and again.json()["added"] == [] and again.json()["changed"] == []


def test_pdf_upload_reports_pages(api: httpx.Client, make_pdf: Callable[[list[str]], bytes]) -> None:
    pdf = make_pdf(["Orvane Systems annual review.", "Orvane Systems booked revenue of $95 million in 2025."])
    r = api.post("/documents", files=[("files", ("orvane.pdf", pdf, "application/pdf"))])
    assert r.status_code == 201, r.text
    doc = next(d for d in api.get("/documents").json()["documents"] if d["id"] == "orvane.pdf")
    assert doc["kind"] == "pdf" and doc["pages"] == 2


def test_refused_uploads_leave_the_index_alone(server: Server, api: httpx.Client) -> None:
    check = unchanged(server)
    assert_refused(server, api.post("/documents", files=[("files", ("tool.exe", b"MZ\x90\x00", "x"))]),
                   415, "unsupported_type")
    big = b"Revenue grew. " * (UPLOAD_LIMIT // 14 + 10)
    assert_refused(server, api.post("/documents", files=[("files", ("big.txt", big, "text/plain"))]),
                   413, "too_large")
    assert_refused(server, api.post("/documents", files=[("files", ("empty.txt", b"  \n ", "text/plain"))]),
                   400, "upload_refused")
    good_and_bad = [("files", ("fine.txt", NOTE.encode(), "text/plain")), ("files", ("bad.txt", bytes(range(256)) * 8,
                                                                                    "text/plain"))]
    assert_refused(server, api.post("/documents", files=good_and_bad), 400, "upload_refused")  # all or nothing
    many = [("files", (f"n{i}.txt", NOTE.encode(), "text/plain")) for i in range(MAX_FILES + 1)]
    assert_refused(server, api.post("/documents", files=many), 400, "invalid_request")  # the schema's maxItems
    assert_refused(server, api.post("/documents"), 400, "invalid_request")
    check()


def test_a_body_over_the_cap_is_cut_off(server: Server, api: httpx.Client) -> None:
    """A chunked body (no Content-Length) is counted as it arrives and refused past the cap."""
    check = unchanged(server)
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\n"
        while sent < (MAX_FILES + 8) * UPLOAD_LIMIT:
            sent += 64 * 1024
            yield b"x" * 64 * 1024

    r = api.post("/documents", content=endless(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert_refused(server, r, 413, "too_large")
    # a declared length over the cap is refused before a byte of the body is read
    url = httpx.URL(server.url)
    with socket.create_connection((url.host, url.port), timeout=30) as sock:
        sock.sendall(b"POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                     b"Content-Length: 1000000000\r\n\r\n--b\r\n")
        reply = b""
        while b'"too_large"' not in reply and (chunk := sock.recv(4096)):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413") and b'"too_large"' in reply
    check()


def test_an_unwritable_index_is_503_and_changes_nothing(server: Server, api: httpx.Client) -> None:
    lock = Path(server.settings.index_dir) / ".lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the build cannot take its lock file: as if the folder were read-only
    try:
        check = unchanged(server)
        r = api.post("/documents", files=[("files", ("later.txt", NOTE.encode(), "text/plain"))])
        assert_refused(server, r, 503, "index_unavailable")
        assert "cannot write the index" in r.json()["message"] and r.headers["retry-after"]
        check()
    finally:
        lock.rmdir()
