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
    rendition: Rendition | None


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
                for frame in range(frames):  # every page decodes completely
                    img.seek(frame)
                    img.load()
                img.seek(0)
                upright = ImageOps.exif_transpose(img)
                out_fmt = "JPEG" if fmt == "JPEG" else "PNG"  # TIFF is rendered to PNG for browsers
                target = workdir / ("rendition.jpg" if out_fmt == "JPEG" else "rendition.png")
                clean = _without_metadata(upright)
                if out_fmt == "JPEG":
                    clean.convert("RGB" if clean.mode not in ("L", "RGB") else clean.mode).save(target, "JPEG", quality=92)
                else:
                    clean.save(target, "PNG", optimize=False)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise refuse("IMAGE_TOO_LARGE", f"decompression bomb refused: {e}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise refuse("CORRUPT_IMAGE", f"the image cannot be read completely: {e}") from e
    digest, size = sha256_of(target)
    rendition = Rendition(target, "image/jpeg" if out_fmt == "JPEG" else "image/png", digest, size)
    return Inspection(real, frames, width, height, rendition)


def _without_metadata(img: Image.Image) -> Image.Image:
    """A new image from the pixels (and palette) alone: no EXIF, GPS, XMP or text chunks."""
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    palette = img.getpalette() if img.mode == "P" else None
    if palette:
        clean.putpalette(palette)
    return clean


def _inspect_pdf(path: Path, limits: UploadLimits) -> Inspection:
    with open(path, "rb") as f:
        raw = f.read()
    if _RAW_ACTIVE.search(raw):
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
