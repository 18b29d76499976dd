"""Fetch a corpus archive from http(s), file:// or a local path, with md5 check and resume."""

import hashlib
import logging
import time
import urllib.parse
from pathlib import Path
from typing import Dict, Optional

import requests
from tqdm import tqdm

from heareval.atomic import atomic_path
from heareval.errors import UserError

logger = logging.getLogger(__name__)
CHUNK = 1 << 20
HTTP_CHUNK = 1 << 16  # small, so a dropped connection keeps most of what arrived


def md5_of(path: Path) -> str:
    return digest_of(path, "md5")


def digest_of(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def local_path_of(url: str) -> Optional[Path]:
    """The local file a file:// URL or plain path names; None for http(s)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    if parsed.scheme in ("http", "https"):
        return None
    return Path(url)


def download(url: str, destination: Path, expected_md5: str, retries: int = 5,
             timeout: float = 60.0, expected_sha256: str = "", progress: bool = True) -> None:
    """Download `url` to `destination`, complete and checked (md5, and sha256 where the source publishes
    that instead: TensorFlow Datasets' checksums), or raise UserError.

    A partial HTTP download is kept as `<destination>.part` and resumed with a Range request. `progress`:
    a bar for this file (off where the caller counts many small files).
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    source = local_path_of(url)
    if source is not None:
        if not source.is_file():
            raise UserError(f"corpus file not found: {url}")
        with atomic_path(partial, replace=True) as temporary:
            _copy_with_progress(source, temporary, progress)
    else:
        _http_download(url, partial, retries, timeout, progress)
    for algorithm, expected in (("md5", expected_md5), ("sha256", expected_sha256)):
        actual = digest_of(partial, algorithm) if expected else expected
        if actual != expected:
            partial.unlink()
            raise UserError(f"{algorithm} mismatch for {url}: expected {expected}, got {actual}")
    partial.rename(destination)


def _copy_with_progress(source: Path, target: Path, progress: bool) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst, \
            _bar(source.stat().st_size, source.name, progress=progress) as bar:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            dst.write(chunk)
            bar.update(len(chunk))


def _bar(total: Optional[int], name: str, initial: int = 0, progress: bool = True) -> tqdm:
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=f"download {name}",
                leave=False, mininterval=1.0, disable=not progress)


def _http_download(url: str, partial: Path, retries: int, timeout: float, progress: bool) -> None:
    for attempt in range(retries):
        try:
            _http_fetch_rest(url, partial, timeout, progress)
            return
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else None
            if status is not None and 400 <= status < 500 and status != 429:
                raise UserError(f"cannot download {url}: HTTP {status}") from None
            last_error: Exception = error
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
            last_error = error
        delay = min(2.0 ** attempt, 30.0)
        logger.warning("download of %s failed (%s); retrying in %.0f s", url, last_error, delay)
        time.sleep(delay)
    raise UserError(f"cannot download {url} after {retries} attempts: {last_error}")


def _http_fetch_rest(url: str, partial: Path, timeout: float, progress: bool) -> None:
    """Fetch what `partial` lacks; a server that ignores Range restarts the file."""
    have = partial.stat().st_size if partial.exists() else 0
    headers: Dict[str, str] = {"Range": f"bytes={have}-"} if have else {}
    with requests.get(url, headers=headers, stream=True, timeout=(min(timeout, 30.0), timeout)) as response:
        if response.status_code == 416:  # already complete
            return
        response.raise_for_status()
        resuming = have > 0 and response.status_code == 206
        if have and not resuming:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with open(partial, "ab" if resuming else "wb") as f, _bar(total, partial.stem, have, progress) as bar:
            for chunk in response.iter_content(HTTP_CHUNK):
                f.write(chunk)
                bar.update(len(chunk))
        if total is not None and partial.stat().st_size < total:
            got = partial.stat().st_size
            raise requests.exceptions.ChunkedEncodingError(f"connection closed early ({got} of {total} bytes)")


def read_md5sums(mirror: str) -> Dict[str, str]:
    """Entries `<md5>  <file name>` of a mirror's optional MD5SUMS file."""
    location = mirror.rstrip("/") + "/MD5SUMS"
    source = local_path_of(location)
    if source is not None:
        if not source.is_file():
            return {}
        text = source.read_text()
    else:
        try:
            response = requests.get(location, timeout=30)
        except requests.RequestException as error:
            raise UserError(f"cannot reach mirror {mirror}: {error}") from None
        if response.status_code == 404:
            return {}
        response.raise_for_status()
        text = response.text
    sums = {}
    for line_number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 32:
            raise UserError(f"malformed line {line_number} in {location}: {line!r}")
        sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def mirrored_url(mirror: str, upstream_url: str) -> str:
    """The mirror's copy of an upstream file: the mirror base plus the URL's last part."""
    file_name = upstream_file_name(upstream_url)
    if local_path_of(mirror) is not None and urllib.parse.urlparse(mirror).scheme != "file":
        return str(Path(mirror).resolve() / file_name)
    return mirror.rstrip("/") + "/" + file_name


def upstream_file_name(url: str) -> str:
    return Path(urllib.parse.urlparse(url).path).name
