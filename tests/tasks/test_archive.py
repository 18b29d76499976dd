import io
import sys
import tarfile
import zipfile

import pytest

from heareval.errors import UserError
from heareval.tasks.archive import extract_archive
from heareval.tasks.small import write_rar


def tar_with(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name, data=b"hello"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link_member(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_extracts_tar_and_zip(tmp_path):
    archive = tar_with(tmp_path / "ok.tar.gz", [file_member("a/b.txt"), link_member("a/c.txt", "b.txt")])
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/a/b.txt").read_bytes() == b"hello"
    assert (tmp_path / "out/a/c.txt").read_bytes() == b"hello"
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as zf:
        zf.writestr("d/e.txt", "zip")
    extract_archive(tmp_path / "ok.zip", tmp_path / "zipout")
    assert (tmp_path / "zipout/d/e.txt").read_text() == "zip"


@pytest.mark.parametrize("member, reason", [
    (file_member("/etc/evil"), "absolute path"),
    (file_member("a/../../evil"), "'..'"),
    (link_member("a/link", "../../outside"), "points outside"),
    (link_member("link", "/etc/passwd"), "points outside"),
    (link_member("a/hard", "../../etc/passwd", tarfile.LNKTYPE), "points outside"),
])
def test_refuses_unsafe_tar_members(tmp_path, member, reason):
    archive = tar_with(tmp_path / "bad.tar.gz", [file_member("fine.txt"), member])
    with pytest.raises(UserError, match=reason):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "fine.txt").exists(), "nothing is extracted from a refused archive"


def test_refuses_unsafe_zip_members(tmp_path):
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(UserError, match="'..'"):
        extract_archive(tmp_path / "bad.zip", tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        info = zipfile.ZipInfo("a/link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "../../outside")
    with pytest.raises(UserError, match="points outside"):
        extract_archive(tmp_path / "link.zip", tmp_path / "out2")


def test_corrupt_archive_is_a_clear_error(tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(UserError, match="corrupt archive .*broken.tar.gz"):
        extract_archive(tmp_path / "broken.tar.gz", tmp_path / "out")


def test_extracts_rar_and_refuses_unsafe_or_broken_rar(tmp_path):
    members = [("Hive1/a.wav", bytes(range(256)) * 40), ("Hive1/sub/b NO.wav", b"hello")]
    write_rar(tmp_path / "ok.rar", iter(members))
    extract_archive(tmp_path / "ok.rar", tmp_path / "out")
    assert {str(p.relative_to(tmp_path / "out")): p.read_bytes() for p in (tmp_path / "out").rglob("*.wav")} == {
        name: data for name, data in members}
    write_rar(tmp_path / "evil.rar", iter([("../escape.wav", b"x")]))
    with pytest.raises(UserError, match="unsafe archive .*evil.rar: member '../escape.wav' contains '..'"):
        extract_archive(tmp_path / "evil.rar", tmp_path / "out2")
    assert not (tmp_path / "escape.wav").exists()
    (tmp_path / "cut.rar").write_bytes((tmp_path / "ok.rar").read_bytes()[:3000])
    with pytest.raises(UserError, match="corrupt archive .*cut.rar: Truncated RAR file data$"):
        extract_archive(tmp_path / "cut.rar", tmp_path / "out3")


def test_rar_without_libarchive_says_what_to_install(tmp_path, monkeypatch):
    write_rar(tmp_path / "ok.rar", iter([("a.wav", b"x")]))
    monkeypatch.setitem(sys.modules, "libarchive", None)  # as where it is not installed
    with pytest.raises(UserError, match="ok.rar: reading RAR archives needs the libarchive library "
                                        "\\(Debian and Ubuntu: apt-get install libarchive13"):
        extract_archive(tmp_path / "ok.rar", tmp_path / "out")
