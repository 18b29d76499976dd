"""Downloads against a local HTTP server on 127.0.0.1 that the tests start."""

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from heareval.errors import UserError
from heareval.tasks.download import download, mirrored_url, read_md5sums

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at /<name>; honours Range; drops the first full GET after half the bytes if asked."""

    requests_seen: list = []
    drop_first_full_get = False

    def do_GET(self):  # noqa: N802 (http.server's name)
        Handler.requests_seen.append((self.path, self.headers.get("Range")))
        if self.path == "/MD5SUMS":
            body = f"{'0' * 32}  data.bin\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/missing.bin":
            self.send_error(404)
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header:
            start = int(range_header.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if Handler.drop_first_full_get and not range_header:
            Handler.drop_first_full_get = False
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.requests_seen = []
    Handler.drop_first_full_get = False
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


MD5 = hashlib.md5(PAYLOAD).hexdigest()


def test_download_checks_md5(server, tmp_path):
    download(f"{server}/data.bin", tmp_path / "data.bin", MD5)
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD


def test_md5_mismatch_names_url_expected_and_actual_and_keeps_nothing(server, tmp_path):
    with pytest.raises(UserError) as error:
        download(f"{server}/data.bin", tmp_path / "data.bin", "f" * 32)
    message = str(error.value)
    assert f"{server}/data.bin" in message and "f" * 32 in message and MD5 in message
    assert list(tmp_path.iterdir()) == [], "a file with a wrong md5 is not kept"


def test_partial_download_resumes_with_range(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:300000])
    download(f"{server}/data.bin", tmp_path / "data.bin", MD5)
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert Handler.requests_seen == [("/data.bin", "bytes=300000-")]


def test_dropped_connection_is_retried_and_resumed(server, tmp_path):
    Handler.drop_first_full_get = True
    download(f"{server}/data.bin", tmp_path / "data.bin", MD5, retries=3)
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert Handler.requests_seen[0] == ("/data.bin", None)
    assert Handler.requests_seen[1][1] is not None and Handler.requests_seen[1][1].startswith("bytes=")


def test_http_404_is_a_clear_error(server, tmp_path):
    with pytest.raises(UserError, match="HTTP 404"):
        download(f"{server}/missing.bin", tmp_path / "missing.bin", "")


def test_file_url_and_local_path(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(PAYLOAD)
    download(source.as_uri(), tmp_path / "a" / "src.bin", MD5)
    download(str(source), tmp_path / "b" / "src.bin", MD5)
    assert (tmp_path / "a" / "src.bin").read_bytes() == PAYLOAD == (tmp_path / "b" / "src.bin").read_bytes()
    with pytest.raises(UserError, match="not found"):
        download(str(tmp_path / "nope.bin"), tmp_path / "c" / "nope.bin", MD5)


def test_mirror_urls_and_md5sums(server, tmp_path):
    assert mirrored_url(server + "/", "http://upstream.example/x/y/archive.tar.gz") == f"{server}/archive.tar.gz"
    assert read_md5sums(server) == {"data.bin": "0" * 32}
    (tmp_path / "MD5SUMS").write_text(f"{MD5}  archive.zip\n")
    assert read_md5sums(str(tmp_path)) == {"archive.zip": MD5}
    assert mirrored_url(str(tmp_path), "https://h/archive.zip") == str(Path(tmp_path).resolve() / "archive.zip")
    (tmp_path / "MD5SUMS").write_text("garbage\n")
    with pytest.raises(UserError, match="malformed line 1"):
        read_md5sums(str(tmp_path))
