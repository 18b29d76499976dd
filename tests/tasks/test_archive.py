import io
import tarfile
import zipfile

import pytest

from heareval.errors import UserError
from heareval.tasks.archive import extract_archive


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
