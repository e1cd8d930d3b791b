"""Checks a scan passes before it enters the archive (R-E2), on a local spool file.

- the real type from the bytes (libmagic), against the allow-list of `domain/evidence.py`,
  and against the file name's extension and the declared Content-Type;
- images: the pixel count of every frame/page is checked explicitly before it is decoded
  (JPEG and PNG from our own parse of their headers, then every frame from the header
  Pillow reads, right before decoding it); each page is fully decoded (truncation,
  corruption); the rendition is written with the EXIF orientation applied, every metadata
  block (EXIF, GPS, XMP, comments) left out, and nothing after the end of the primary
  image (bytes appended to a JPEG or PNG are counted, kept in the original, never served
  in the rendition);
- PDFs: parsed by pypdf with a page limit; every object of the file is walked (iteratively,
  cycle-safe, bounded by a count of objects: a file over the bound is refused, never
  half-checked) and refused, not stripped, when it holds anything that runs, opens, submits
  or carries other files, so that what is archived is exactly what was checked.

Blocking, CPU-bound work: the API runs `check_file` in a process pool (`storage/check_pool.py`)."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import magic
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from domain.errors import DomainError
from domain.evidence import ALLOWED_TYPES, IMAGE_TYPES, UploadLimits

PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}
ORIENTATION_TAG = 0x0112

# Pillow's own bomb guard only warns between one and two times its global limit, and
# whether a warning stops anything depends on the warnings filters: process-wide state
# that `warnings.catch_warnings()` swaps unsafely between threads. The limit is enforced
# here instead, explicitly, on the size of every frame before it is decoded.
Image.MAX_IMAGE_PIXELS = None


def refuse(code: str, message: str, field: str | None = "file") -> DomainError:
    return DomainError(field, message, code)


@dataclass(frozen=True)
class Rendition:
    path: Path
    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Inspection:
    content_type: str
    pages: int
    width: int | None
    height: int | None
    rendition: Rendition | None  # None for PDFs, and for JPEGs that are already clean
    trailing_bytes: int = 0  # bytes after the end of the primary image (kept in the original only)
    seconds: float = 0.0  # time spent checking in the worker (the rest of the wait is queue and transfer)


def sniff(head: bytes) -> str:
    mime: str = magic.from_buffer(head, mime=True)
    return mime


def check_type(real: str, filename: str | None, declared: str | None) -> None:
    if real not in ALLOWED_TYPES:
        raise refuse("TYPE_NOT_ALLOWED", f"{real} is not accepted; send JPEG, PNG, TIFF or PDF")
    if filename:
        suffix = Path(filename).suffix.lower()
        if suffix and suffix not in ALLOWED_TYPES[real]:
            raise refuse("NAME_TYPE_MISMATCH", f"the file is {real} but its name ends in {suffix}", "filename")
    if declared:
        base = declared.split(";", 1)[0].strip().lower()
        if base not in ("application/octet-stream", real) and not (base == "image/jpg" and real == "image/jpeg"):
            raise refuse("DECLARED_TYPE_MISMATCH", f"declared {base} but the bytes are {real}", "contentType")


def inspect(path: Path, real: str, limits: UploadLimits, workdir: Path) -> Inspection:
    if real in IMAGE_TYPES:
        return _inspect_image(path, real, limits, workdir)
    return _inspect_pdf(path, limits)


# -- the worker entry point: plain arguments in, plain data out (it crosses a process boundary)


class RenditionData(TypedDict):
    path: str
    content_type: str
    sha256: str
    size: int


class RefusalData(TypedDict):
    code: str
    field: str | None
    message: str


class CheckOutcome(TypedDict):
    refused: RefusalData | None
    seconds: float
    content_type: str
    pages: int
    width: int | None
    height: int | None
    trailing_bytes: int
    rendition: RenditionData | None


def check_file(path: str, real: str, limits: tuple[int, int, int, int], workdir: str) -> CheckOutcome:
    """`inspect` for a worker process. Refusals come back as data; anything unexpected that
    a hostile file provokes in a parser refuses the file (fail closed)."""
    max_bytes, max_pixels, max_pages, max_pdf_objects = limits
    started = time.perf_counter()
    try:
        found = inspect(Path(path), real, UploadLimits(max_bytes, max_pixels, max_pages, max_pdf_objects), Path(workdir))
    except DomainError as e:
        return _refused(e.code, e.field, e.message)
    except Exception as e:  # noqa: BLE001 - a parser crash on hostile input is a refusal
        code = "CORRUPT_PDF" if real == "application/pdf" else "CORRUPT_IMAGE"
        return _refused(code, "file", f"the file could not be checked ({type(e).__name__})")
    r = found.rendition
    return {
        "refused": None,
        "seconds": time.perf_counter() - started,
        "content_type": found.content_type,
        "pages": found.pages,
        "width": found.width,
        "height": found.height,
        "trailing_bytes": found.trailing_bytes,
        "rendition": None
        if r is None
        else {"path": str(r.path), "content_type": r.content_type, "sha256": r.sha256, "size": r.size},
    }


def _refused(code: str, field: str | None, message: str) -> CheckOutcome:
    refusal: RefusalData = {"code": code, "field": field, "message": message}
    return {"refused": refusal, "seconds": 0.0, "content_type": "", "pages": 0, "width": None, "height": None, "trailing_bytes": 0, "rendition": None}


def inspection_of(outcome: CheckOutcome) -> Inspection:
    """The worker's answer back as an Inspection, or its refusal raised."""
    refusal = outcome["refused"]
    if refusal is not None:
        raise refuse(refusal["code"], refusal["message"], refusal["field"])
    r = outcome["rendition"]
    return Inspection(
        outcome["content_type"],
        outcome["pages"],
        outcome["width"],
        outcome["height"],
        None if r is None else Rendition(Path(r["path"]), r["content_type"], r["sha256"], r["size"]),
        outcome["trailing_bytes"],
        outcome["seconds"],
    )


# -- images


def _check_pixels(width: int, height: int, limits: UploadLimits, page: int | None = None) -> None:
    if width * height > limits.max_pixels:
        where = "" if page is None else f" (page {page + 1})"
        raise refuse("IMAGE_TOO_LARGE", f"{width}×{height} pixels{where} is over the limit of {limits.max_pixels}")


def _inspect_image(path: Path, real: str, limits: UploadLimits, workdir: Path) -> Inspection:
    fmt = PIL_FORMATS[real]
    jpeg: JpegLayout | None = None
    trailing = 0
    if fmt == "JPEG":
        data = path.read_bytes()
        jpeg = jpeg_layout(data)
        for w, h in jpeg.frames:
            _check_pixels(w, h, limits)
        trailing = len(data) - jpeg.end
    elif fmt == "PNG":
        data = path.read_bytes()
        end, sizes = png_layout(data)
        for w, h in sizes:
            _check_pixels(w, h, limits)
        trailing = len(data) - end
    try:
        with Image.open(path, formats=[fmt]) as probe:
            _check_pixels(*probe.size, limits)
            probe.verify()
        with Image.open(path, formats=[fmt]) as img:
            width, height = img.size
            orientation = img.getexif().get(ORIENTATION_TAG, 1)
            frames = _pages(img, fmt, limits)
            for frame in range(frames):  # every page: its size from its header, then decoded completely
                img.seek(frame)
                _check_pixels(*img.size, limits, frame)
                if fmt == "JPEG":
                    # Decode the whole entropy-coded stream (so truncation and corruption
                    # show) but run the inverse DCT at 1/8 scale: the check costs a fraction.
                    img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
                img.load()
        if jpeg is not None and orientation == 1:
            if not jpeg.dropped and trailing == 0:  # already clean: the original serves
                return Inspection(real, frames, width, height, None)
            target = workdir / "rendition.jpg"
            target.write_bytes(jpeg.clean(data))
            content_type = "image/jpeg"
        else:
            target, content_type = _render(path, fmt, workdir)
    except DomainError:
        raise
    except Image.DecompressionBombError as e:
        raise refuse("IMAGE_TOO_LARGE", f"decompression bomb refused: {e}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise refuse("CORRUPT_IMAGE", f"the image cannot be read completely: {e}") from e
    digest, size = sha256_of(target)
    return Inspection(real, frames, width, height, Rendition(target, content_type, digest, size), trailing)


def _pages(img: Image.Image, fmt: str, limits: UploadLimits) -> int:
    """How many pages, from headers only, each page's pixel count checked on the way. A JPEG
    is one page (frames after its end, MPO and the like, are trailing data); PNG declares its
    frame count; TIFF pages are found one IFD at a time, never more than the limit + 1."""
    if fmt == "JPEG":
        return 1
    if fmt == "PNG":
        frames: int = getattr(img, "n_frames", 1)
        if frames > limits.max_pages:
            raise refuse("TOO_MANY_PAGES", f"{frames} frames; at most {limits.max_pages}")
        return frames
    count = 0
    while True:
        try:
            img.seek(count)
        except EOFError:
            return count
        _check_pixels(*img.size, limits, count)
        count += 1
        if count > limits.max_pages:
            raise refuse("TOO_MANY_PAGES", f"more than {limits.max_pages} pages")


def _render(path: Path, fmt: str, workdir: Path) -> tuple[Path, str]:
    """Decode, apply the EXIF orientation, and write the pixels alone (TIFF becomes PNG).
    Whatever followed the image in the file is not part of the pixels and so not written."""
    with Image.open(path, formats=[fmt]) as img:
        img.load()
        clean = _without_metadata(ImageOps.exif_transpose(img))
    if fmt == "JPEG":
        target = workdir / "rendition.jpg"
        clean.save(target, "JPEG", quality=92)
        return target, "image/jpeg"
    target = workdir / "rendition.png"
    clean.save(target, "PNG", compress_level=3)
    return target, "image/png"


# JPEG segments kept in the rendition: JFIF (APP0), ICC colour profile (APP2), Adobe colour
# transform (APP14) and everything that codes the image. Dropped: EXIF/XMP/GPS (APP1),
# IPTC/Photoshop (APP13), the other application blocks and comments (COM).
_KEEP_APP = {0xE0, 0xE2, 0xEE}
# Start-of-frame markers (every SOFn but DHT C4, JPG C8 and DAC CC): they carry the size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class JpegLayout:
    end: int  # just after the primary image's end-of-image marker
    frames: tuple[tuple[int, int], ...]  # (width, height) of every frame header
    dropped: tuple[tuple[int, int], ...]  # [start, end) of the metadata segments

    def clean(self, data: bytes) -> bytes:
        """The primary image without its metadata segments, byte for byte otherwise."""
        out = bytearray()
        pos = 0
        for start, end in self.dropped:
            out += data[pos:start]
            pos = end
        out += data[pos : self.end]
        return bytes(out)


def jpeg_layout(data: bytes) -> JpegLayout:
    """Walk a JPEG's markers to the end-of-image marker of the primary image: every
    segment by its length, the entropy-coded data after each start-of-scan up to the next
    marker that is not a stuffed 0xFF00 or a restart (progressive JPEGs have many scans)."""
    n = len(data)
    if data[:2] != b"\xff\xd8":
        raise refuse("CORRUPT_IMAGE", "not a JPEG stream")
    pos = 2
    frames: list[tuple[int, int]] = []
    dropped: list[tuple[int, int]] = []
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise refuse("CORRUPT_IMAGE", "broken JPEG segment structure")
        while pos < n and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= n:
            raise refuse("CORRUPT_IMAGE", "the JPEG has no end-of-image marker")
        code, start = data[pos], pos - 1
        pos += 1
        if code == 0xD9:
            return JpegLayout(pos, tuple(frames), tuple(dropped))
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # markers without a length
            continue
        if code == 0x00 or pos + 2 > n:
            raise refuse("CORRUPT_IMAGE", "broken JPEG segment structure")
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if length < 2 or end > n:
            raise refuse("CORRUPT_IMAGE", "a JPEG segment runs past the end of the file")
        if code in _SOF:
            if length < 7:
                raise refuse("CORRUPT_IMAGE", "a JPEG frame header is too short")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            frames.append((width, height))
        elif (0xE0 <= code <= 0xEF and code not in _KEEP_APP) or code == 0xFE:
            dropped.append((start, end))
        pos = end
        if code == 0xDA:  # entropy-coded data up to the next real marker
            while True:
                i = data.find(b"\xff", pos)
                if i < 0 or i + 1 >= n:
                    raise refuse("CORRUPT_IMAGE", "the JPEG ends inside its image data")
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos = i + 2
                elif following == 0xFF:
                    pos = i + 1
                else:
                    pos = i
                    break


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_layout(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """The offset just after IEND, and the size of the image and of every APNG frame."""
    if not data.startswith(_PNG_SIGNATURE):
        raise refuse("CORRUPT_IMAGE", "not a PNG stream")
    pos, n = len(_PNG_SIGNATURE), len(data)
    sizes: list[tuple[int, int]] = []
    while pos + 8 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = pos + 8
        end = body + length + 4  # data and CRC
        if end > n:
            break
        if kind in (b"IHDR", b"fcTL"):
            offset = body if kind == b"IHDR" else body + 4  # fcTL starts with a sequence number
            if length < offset - body + 8:
                raise refuse("CORRUPT_IMAGE", f"a PNG {kind.decode()} chunk is too short")
            sizes.append((int.from_bytes(data[offset : offset + 4], "big"), int.from_bytes(data[offset + 4 : offset + 8], "big")))
        if kind == b"IEND":
            return end, sizes
        pos = end
    raise refuse("CORRUPT_IMAGE", "the PNG has no IEND chunk")


def _without_metadata(img: Image.Image) -> Image.Image:
    """A new image from the pixels (and palette) alone: no EXIF, GPS, XMP or text chunks."""
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    palette = img.getpalette() if img.mode == "P" else None
    if palette:
        clean.putpalette(palette)
    return clean


# -- PDFs
#
# Refused wherever they appear in the file (a scan or an issued certificate needs none):
# - what runs: JavaScript (/JS, /JavaScript name trees and actions), XFA forms (/XFA, which
#   carry scripts), 3D and rich-media content (their own scripting), /Launch;
# - what reaches outside the document: /Launch, /GoToR and /GoToE (open other files, or
#   leak credentials through UNC paths), /SubmitForm and /ImportData (send or read data),
#   file specifications (/Type /Filespec), URI actions other than http(s) and mailto;
# - what carries other files: /EmbeddedFiles, /EF, /Type /EmbeddedFile, FileAttachment
#   annotations, portfolios (/Collection);
# - media that plays (Movie, Sound, Screen, Rendition).
# Allowed: links inside the document (/GoTo, /GoToDp, named destinations, /Named viewer
# commands, /Thread, /Hide, /ResetForm, /SetOCGState, /Trans) and web/mail links.
PDF_REFUSED_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/XFA": "an XFA form",
    "/EmbeddedFiles": "embedded files",
    "/EF": "an embedded file",
    "/Collection": "a portfolio of files",
    "/RichMediaContent": "rich media",
    "/RichMediaSettings": "rich media",
    "/3DD": "3D content",
}
PDF_REFUSED_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/GoToR",
    "/GoToE",
    "/SubmitForm",
    "/ImportData",
    "/RichMediaExecute",
    "/GoTo3DView",
    "/Rendition",
    "/Movie",
    "/Sound",
}
PDF_REFUSED_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
PDF_REFUSED_TYPES = {"/Filespec", "/EmbeddedFile"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What URL parsers drop before reading a scheme: C0 controls and spaces around it, and
# tabs and line breaks anywhere ("java\tscript:" is javascript:).
_URL_IGNORED = re.compile(r"[\t\n\r]")

# A fast first pass over the raw bytes, outside stream data: names are decoded (`#xx`), so
# an escaped name is found here too, even in objects no cross-reference table points to.
_STREAM_KEYWORD = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Only names that mean the same wherever they stand (short keys such as /EF could also name
# a font in a resource dictionary; the object walk judges those where they are keys).
_RAW_REFUSED = {
    b"/JS", b"/JavaScript", b"/EmbeddedFiles", b"/EmbeddedFile", b"/XFA", b"/Launch", b"/GoToR", b"/GoToE",
    b"/SubmitForm", b"/ImportData", b"/RichMediaExecute", b"/RichMediaContent", b"/FileAttachment",
}


def _outside_streams(data: bytes) -> bytes:
    """The bytes with every stream's data left out; one pass (a `stream` keyword that no
    `endstream` follows ends the skipping, so the rest is scanned too)."""
    parts: list[bytes] = []
    pos = 0
    while (start := _STREAM_KEYWORD.search(data, pos)) is not None:
        end = data.find(b"endstream", start.end())
        if end < 0:
            break
        parts.append(data[pos : start.start()])
        pos = end + len(b"endstream")
    parts.append(data[pos:])
    return b" ".join(parts)


def _raw_active(data: bytes) -> str | None:
    """The first refused name found in the bytes outside streams, if any."""
    for match in _NAME.finditer(_outside_streams(data)):
        name = b"/" + _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _RAW_REFUSED:
            return name.decode("latin-1")
    return None


def _inspect_pdf(path: Path, limits: UploadLimits) -> Inspection:
    data = path.read_bytes()
    # A PDF has no rendition: everyone downloads the original, so nothing may follow its
    # last end-of-file marker (an appended ZIP or script would be served to all).
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise refuse("CORRUPT_PDF", "the PDF has no end-of-file marker (%%EOF)")
    if data[end + 5 :].strip(b" \t\r\n\x00\x0c"):
        raise refuse("PDF_TRAILING_DATA", f"{len(data) - end - 5} bytes follow the PDF's end-of-file marker; send the PDF alone")
    found = _raw_active(data)
    if found:
        raise refuse("PDF_ACTIVE_CONTENT", f"PDFs with {found} are not accepted (scripts, actions that leave the document, attached files)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise refuse("PDF_ENCRYPTED", "encrypted PDFs cannot be checked; send an unprotected scan")
        pages = len(reader.pages)
        if pages == 0:
            raise refuse("CORRUPT_PDF", "the PDF has no pages")
        if pages > limits.max_pages:
            raise refuse("TOO_MANY_PAGES", f"{pages} pages; at most {limits.max_pages}")
        hazard = pdf_hazard(reader, limits.max_pdf_objects)
        if hazard:
            raise refuse("PDF_ACTIVE_CONTENT", f"PDFs with {hazard} are not accepted (scripts, actions that leave the document, attached files)")
    except DomainError:
        raise
    except (LimitReachedError, RecursionError) as e:  # pypdf's own bounds on what it parses
        raise refuse("PDF_TOO_COMPLEX", f"the PDF cannot be checked completely: {e}") from e
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError) as e:
        raise refuse("CORRUPT_PDF", f"the PDF cannot be read: {e}") from e
    return Inspection("application/pdf", pages, None, None, None)


def pdf_hazard(reader: PdfReader, max_objects: int) -> str | None:
    """What the PDF holds that is refused (see above), or None. Walks the trailer and every
    object in the cross-reference tables (object streams included), whether reachable or
    not, and everything they contain: iteratively (no depth limit), each indirect object
    once (cycles), counting the objects resolved and the dictionaries and arrays visited.
    Past `max_objects` the file is refused: a walk cut short would pass what it did not see."""
    stack: list[Any] = [reader.trailer]
    for generation, table in reader.xref.items():
        stack.extend(IndirectObject(idnum, generation, reader) for idnum in table)
    stack.extend(IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1  # every object resolved and every container, once
        if visited > max_objects:
            raise refuse("PDF_TOO_COMPLEX", f"the PDF has more than {max_objects} objects; it cannot be checked completely")
        if isinstance(obj, DictionaryObject):
            found = _dict_hazard(obj)
            if found:
                return found
            stack.extend(v for v in obj.values() if isinstance(v, (IndirectObject, DictionaryObject, ArrayObject)))
        elif isinstance(obj, ArrayObject):
            stack.extend(v for v in obj if isinstance(v, (IndirectObject, DictionaryObject, ArrayObject)))
    return None


def _dict_hazard(d: DictionaryObject) -> str | None:
    for key in d:
        if key in PDF_REFUSED_KEYS:
            return PDF_REFUSED_KEYS[key]
    action = _name(d, "/S")
    if action in PDF_REFUSED_ACTIONS:
        return f"a {action[1:]} action"
    subtype = _name(d, "/Subtype")
    if subtype in PDF_REFUSED_SUBTYPES:
        return f"a {subtype[1:]} annotation"
    if _name(d, "/Type") in PDF_REFUSED_TYPES:
        return "an embedded or external file"
    if action == "/URI":
        uri = _resolved(d, "/URI")
        text = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
        scheme = _SCHEME.match(_URL_IGNORED.sub("", text).lstrip("".join(map(chr, range(33)))))
        if scheme is not None and scheme.group(1).lower() not in SAFE_SCHEMES:
            return "a link that is not http(s) or mailto"
    return None


def _resolved(d: DictionaryObject, key: str) -> Any:
    """A value with indirect references followed (a viewer follows them for any value)."""
    value = dict.get(d, key)
    for _ in range(32):
        if not isinstance(value, IndirectObject):
            return value
        value = value.get_object()
    return None


def _name(d: DictionaryObject, key: str) -> str | None:
    value = _resolved(d, key)
    return str(value) if isinstance(value, str) else None


def sha256_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
