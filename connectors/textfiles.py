"""Prepare a landed file for DuckDB's readers: decompress gzip, find the text encoding, transcode if needed.

DuckDB reads UTF-8 (with or without BOM) and UTF-16 LE with a BOM natively; everything else (UTF-16
without BOM or big-endian, cp1252, latin-1, any configured Python codec) is transcoded to a temporary
UTF-8 file in streamed blocks. Detection, when no encoding is configured:
  BOM -> that encoding; NUL bytes in the first block -> UTF-16 (byte order from their position);
  valid UTF-8 throughout -> UTF-8;
  invalid bytes, but at least as many valid multi-byte UTF-8 sequences -> UTF-8 with damaged records
  (DuckDB rejects those records and ingest quarantines them);
  more invalid bytes than such sequences -> cp1252 (Windows / Excel exports; its five undefined
  bytes read as latin-1; a cp1252 file can hold a valid UTF-8 pair by accident, CAFÉ’s).
A gzip file (by its magic bytes, whatever its name) is decompressed to a temporary file; one cut short
makes the file unreadable, with a message saying so. Only block-wise byte work happens in Python.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
DAMAGED_UTF8 = "utf-8 with invalid bytes"
COUNTED_BLOCKS = 8  # blocks counted from the first invalid byte on: enough to tell, bounded for large files
_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NOT_LEAD_BYTES = bytes(range(0xC2)) + bytes(range(0xF5, 0x100))  # all but UTF-8's lead bytes C2-F4


class UnreadableFile(Exception):
    """The file cannot be parsed at all; the message says why in words a person can act on."""


def first_line(exc: BaseException) -> str:
    """The first line of an error, without DuckDB's class prefix ("Invalid Input Error: ")."""
    text = str(exc).strip().splitlines()
    return re.sub(r"^[A-Z][A-Za-z ]* Error: ", "", text[0]) if text else type(exc).__name__


def reader_error(exc: BaseException, workdir: Path, landed: str) -> str:
    """A reader's error in one line that names the landed file: the first line, and for DuckDB's CSV
    errors ("CSV Error on Line: 1" alone says nothing) the reason lines after the record it quotes, up to
    its suggestions and its dump of options. A temporary copy in `workdir` the reader opened
    (decompressed, transcoded) is named as the landed file, `landed`."""
    message = first_line(exc)
    if message.startswith("CSV Error"):
        reasons = []
        for line in str(exc).strip().splitlines()[1:]:
            if not line.strip() or line.startswith(("Possible Solution", "  ")):
                break
            if not line.startswith("Original Line:"):
                reasons.append(line.strip())
        message = "; ".join([message, *reasons])
    return re.sub(re.escape(str(workdir)) + r"/[^\s'\"]+", lambda _: landed, message)


@dataclass
class Prepared:
    path: Path  # what the reader opens: the landed file or a temporary, decompressed / UTF-8 copy
    encoding: str = "utf-8"  # what DuckDB is told: utf-8 | utf-16
    notes: list[str] = field(default_factory=list)  # how the file was decoded, for the manifest


def _cp1252_or_latin1(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("cx_cp1252_latin1", _cp1252_or_latin1)


def _magic(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4)


def decompress(path: Path, workdir: Path) -> tuple[Path, list[str]]:
    """The file itself, or its gzip content in a temporary file; raises UnreadableFile when cut short."""
    if not _magic(path).startswith(GZIP_MAGIC):
        return path, []
    out = workdir / (path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name + ".plain")
    try:
        with gzip.open(path, "rb") as src, out.open("wb") as dst:
            for block in iter(lambda: src.read(BLOCK), b""):
                dst.write(block)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise UnreadableFile(
            f"the gzip stream is cut short or damaged ({exc}); was the file still being copied?"
        ) from exc
    return out, ["gzip decompressed"]


def _byte_order_mark(path: Path) -> str | None:
    """The encoding the file's byte-order mark names, if it starts with one."""
    with path.open("rb") as handle:
        head = handle.read(4)
    return next((name for bom, name in BOMS if head.startswith(bom)), None)


def detect_encoding(path: Path) -> tuple[str, str]:
    """(Python codec name, how it was decided) for an uncompressed text file."""
    marked = _byte_order_mark(path)
    if marked:
        return marked, f"{marked} (byte-order mark)"
    with path.open("rb") as handle:
        first = handle.read(BLOCK)
        nuls = first.count(b"\x00")
        if nuls:
            even, odd = first[0::2].count(b"\x00"), first[1::2].count(b"\x00")
            if nuls > len(first) // 4 and max(even, odd) > 0.9 * nuls:  # ASCII text in UTF-16
                name = "utf-16-be" if even > odd else "utf-16-le"
                return name, f"{name} (detected: NUL bytes, no byte-order mark)"
            offset = first.index(b"\x00")
            raise UnreadableFile(
                f"binary content (a NUL byte at offset {offset}): not a text export; "
                "check the file and the source's `format`"
            )
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        invalid = False
        # non-ASCII text that reads as UTF-8 sequences, and bytes that do not: which the file mostly holds
        # decides (a cp1252 file may hold a valid pair by accident: É then ’ is C9 92)
        sequences, stray = 0, 0
        blocks_after_invalid = 0
        block = first
        while block and blocks_after_invalid < COUNTED_BLOCKS:
            if not block.isascii():
                if not invalid:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        invalid = True
                    else:  # valid UTF-8: a sequence per lead byte (one C pass; the pattern took ~10 ms a MB)
                        sequences += len(block.translate(None, _NOT_LEAD_BYTES))
                if invalid:
                    sequences += len(_MULTIBYTE.findall(block))
                    stray += block.decode("utf-8", "replace").count("\ufffd")
                    blocks_after_invalid += 1
            block = handle.read(BLOCK)
        if not invalid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                invalid, stray = True, stray + 1
    if not invalid:
        return "utf-8", "utf-8"
    if sequences >= stray:
        return "utf-8", DAMAGED_UTF8
    return "cp1252", "cp1252 (detected: not UTF-8, no byte-order mark)"


def transcode(path: Path, encoding: str, workdir: Path, errors: str = "strict") -> Path:
    out = workdir / (path.stem + ".utf8" + (path.suffix or ".txt"))
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    try:
        with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
            for block in iter(lambda: src.read(BLOCK), b""):
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"not valid {encoding} at byte {exc.start} of the content ({exc.reason}); "
            "set `encoding:` in sources.yml to the file's encoding"
        ) from exc
    return out


def prepare_text(path: Path, configured: str | None, workdir: Path, native_utf16: bool = True) -> Prepared:
    """A UTF-8 (or, for DuckDB's CSV reader, BOM-marked UTF-16 LE) plain file with the landed text.
    `native_utf16=False` (JSON) also repairs stray invalid bytes in UTF-8, as U+FFFD with a warning: the
    CSV reader quarantines the records holding them, the JSON reader cannot."""
    if _magic(path).startswith(ZSTD_MAGIC):  # DuckDB decompresses zstd itself; assume UTF-8 inside
        return Prepared(path, "utf-8", ["zstd, read as utf-8"])
    plain, notes = decompress(path, workdir)
    if plain.stat().st_size == 0:
        raise UnreadableFile("the file is empty (0 bytes): nothing to read; an interrupted export?")
    if configured:
        name, how = codecs.lookup(configured).name, f"{configured} (configured)"
        marked = _byte_order_mark(plain)
        if marked and not name.startswith("utf"):  # a BOM is the file's own word: a vendor moved to UTF
            name, how = (
                marked,
                f"{marked} (byte-order mark; the configured {configured} is for files without one)",
            )
    else:
        name, how = detect_encoding(plain)
    notes.append(f"encoding {how}")
    if name in ("utf-8", "utf-8-sig"):
        if native_utf16 or how != DAMAGED_UTF8:
            return Prepared(plain, "utf-8", notes)
        notes.insert(0, "warning: invalid UTF-8 bytes replaced by U+FFFD")
        return Prepared(transcode(plain, "utf-8", workdir, errors="replace"), "utf-8", notes)
    if name in ("utf-16", "utf-16-le") and native_utf16:
        with plain.open("rb") as handle:
            if handle.read(2) == codecs.BOM_UTF16_LE:
                return Prepared(plain, "utf-16", notes)
    with plain.open("rb") as handle:
        head = handle.read(2)
    if name == "cp1252" and not configured:
        out = transcode(plain, "cp1252", workdir, errors="cx_cp1252_latin1")
    elif name.startswith("utf-16") and head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        out = transcode(plain, "utf-16", workdir)  # the codec reads the byte order from the BOM
    else:
        out = transcode(plain, name, workdir)
    notes.append("transcoded to utf-8")
    return Prepared(out, "utf-8", notes)


def prepare_binary(path: Path, workdir: Path) -> Prepared:
    """Parquet / XLSX: only gzip is undone."""
    plain, notes = decompress(path, workdir)
    if plain.stat().st_size == 0:
        raise UnreadableFile("the file is empty (0 bytes): nothing to read; an interrupted export?")
    return Prepared(plain, "binary", notes)
