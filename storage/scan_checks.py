"""Checks a scan passes before it enters the archive (R-E2), on a local spool file.

- the real type from the bytes (libmagic), against the allow-list of `domain/evidence.py`,
  and against the file name's extension and the declared Content-Type;
- images: opened by Pillow restricted to JPEG/PNG/TIFF, the pixel count checked from the
  header before any decoding (decompression bombs), fully decoded (truncation, corruption),
  then a rendition is written with the EXIF orientation applied and every metadata block
  (EXIF, GPS, XMP, comments) left out;
- PDFs: parsed by pypdf with a page limit; JavaScript, launch actions and embedded files
  are refused, not stripped, so that what is archived is exactly what was checked.
Blocking work: callers run these in a worker thread."""

from __future__ import annotations

import hashlib
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import magic
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject, IndirectObject

from domain.errors import DomainError
from domain.evidence import ALLOWED_TYPES, IMAGE_TYPES, UploadLimits

PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}
ORIENTATION_TAG = 0x0112
ACTIVE_PDF_KEYS = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/RichMedia", "/XFA")
_RAW_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles|RichMedia)\b")

# Pillow's own bomb guard stays on as a backstop for what the header check cannot see.
Image.MAX_IMAGE_PIXELS = UploadLimits().max_pixels


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
    rendition: Rendition | None  # None for PDFs, and for JPEGs that carry no metadata at all


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


def _inspect_image(path: Path, real: str, limits: UploadLimits, workdir: Path) -> Inspection:
    fmt = PIL_FORMATS[real]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[fmt]) as probe:
                width, height = probe.size
                if width * height > limits.max_pixels:
                    raise refuse("IMAGE_TOO_LARGE", f"{width}×{height} pixels is over the limit of {limits.max_pixels}")
                probe.verify()
            with Image.open(path, formats=[fmt]) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > limits.max_pages:
                    raise refuse("TOO_MANY_PAGES", f"{frames} pages; at most {limits.max_pages}")
                orientation = img.getexif().get(ORIENTATION_TAG, 1)
                if fmt == "JPEG":
                    # Decode the whole entropy-coded stream (so truncation and corruption
                    # show) but run the inverse DCT at 1/8 scale: the check costs a fraction.
                    img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
                for frame in range(frames):  # every page decodes completely
                    img.seek(frame)
                    img.load()
            if fmt == "JPEG" and orientation == 1:
                target = workdir / "rendition.jpg"
                if not strip_jpeg_metadata(path, target):  # nothing to remove: the original serves
                    return Inspection(real, frames, width, height, None)
                content_type = "image/jpeg"
            else:
                target, content_type = _render(path, fmt, workdir)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise refuse("IMAGE_TOO_LARGE", f"decompression bomb refused: {e}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise refuse("CORRUPT_IMAGE", f"the image cannot be read completely: {e}") from e
    digest, size = sha256_of(target)
    return Inspection(real, frames, width, height, Rendition(target, content_type, digest, size))


def _render(path: Path, fmt: str, workdir: Path) -> tuple[Path, str]:
    """Decode, apply the EXIF orientation, and write the pixels alone (TIFF becomes PNG)."""
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


def strip_jpeg_metadata(source: Path, target: Path) -> bool:
    """Copy a JPEG without its metadata segments, byte for byte otherwise (no re-encoding),
    streaming. Returns False (and writes nothing) when there was nothing to remove."""
    kept = bytearray()
    dropped = False
    with open(source, "rb") as f:
        if f.read(2) != b"\xff\xd8":
            raise refuse("CORRUPT_IMAGE", "not a JPEG stream")
        kept += b"\xff\xd8"
        while True:
            marker = f.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                raise refuse("CORRUPT_IMAGE", "broken JPEG segment structure")
            if marker[1] == 0xDA:  # start of scan: the rest is image data
                if not dropped:
                    return False
                with open(target, "wb") as out:
                    out.write(kept)
                    out.write(marker)
                    shutil.copyfileobj(f, out, 1 << 20)
                return True
            length_bytes = f.read(2)
            if len(length_bytes) < 2:
                raise refuse("CORRUPT_IMAGE", "the JPEG has no image data")
            body = f.read(int.from_bytes(length_bytes, "big") - 2)
            code = marker[1]
            if (0xE0 <= code <= 0xEF and code not in _KEEP_APP) or code == 0xFE:
                dropped = True
            else:
                kept += marker + length_bytes + body


def _without_metadata(img: Image.Image) -> Image.Image:
    """A new image from the pixels (and palette) alone: no EXIF, GPS, XMP or text chunks."""
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    palette = img.getpalette() if img.mode == "P" else None
    if palette:
        clean.putpalette(palette)
    return clean


def _raw_active(path: Path) -> bool:
    """A streaming scan of the raw bytes for active-content names (overlapping chunks)."""
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if _RAW_ACTIVE.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


def _inspect_pdf(path: Path, limits: UploadLimits) -> Inspection:
    if _raw_active(path):
        raise refuse("PDF_ACTIVE_CONTENT", "PDFs with JavaScript, launch actions or embedded files are not accepted")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise refuse("PDF_ENCRYPTED", "encrypted PDFs cannot be checked; send an unprotected scan")
        pages = len(reader.pages)
        if pages == 0:
            raise refuse("CORRUPT_PDF", "the PDF has no pages")
        if pages > limits.max_pages:
            raise refuse("TOO_MANY_PAGES", f"{pages} pages; at most {limits.max_pages}")
        if _has_active_content(reader.trailer["/Root"], depth=0, seen=set()):
            raise refuse("PDF_ACTIVE_CONTENT", "PDFs with JavaScript, launch actions or embedded files are not accepted")
    except DomainError:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, RecursionError) as e:
        raise refuse("CORRUPT_PDF", f"the PDF cannot be read: {e}") from e
    return Inspection("application/pdf", pages, None, None, None)


def _has_active_content(obj: Any, depth: int, seen: set[int]) -> bool:
    """Walk the document's object graph (names already decoded by pypdf, so `#4A`-style
    escapes cannot hide a key) looking for active-content keys. Bounded in depth."""
    if depth > 40:
        return False
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return False
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, DictionaryObject):
        if any(key in obj for key in ACTIVE_PDF_KEYS):
            return True
        if obj.get("/S") in ("/JavaScript", "/Launch"):
            return True
        return any(_has_active_content(v, depth + 1, seen) for k, v in obj.items() if k != "/Parent")
    if isinstance(obj, list):
        return any(_has_active_content(v, depth + 1, seen) for v in obj)
    return False


def sha256_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
