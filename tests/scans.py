"""Scan files made on the fly for the evidence tests (no binary fixtures in the repo)."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(size: tuple[int, int] = (640, 480), *, gps: bool = True, orientation: int = 6, quality: int = 85) -> bytes:
    img = Image.new("RGB", size, (200, 180, 160))
    for x in range(0, size[0], 7):  # some structure, so the JPEG is not trivially small
        for y in range(0, size[1], 13):
            img.putpixel((x, y), (x % 256, y % 256, (x * y) % 256))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "ScannerCo"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (34.0, 45.0, 30.0), 3: "E", 4: (113.0, 39.0, 10.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=quality)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def tiff(pages: int = 2) -> bytes:
    frames = [Image.new("L", (400, 300), 30 * i) for i in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return out.getvalue()


def pdf(pages: int = 2, javascript: bool = False, hide_names: bool = False) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:
        action = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
        )
        writer._root_object[NameObject("/OpenAction")] = action
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    if hide_names:  # the same names written with #xx escapes, as malware does
        data = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
    return data


def bomb() -> bytes:
    """64 megapixels of one colour: a few kilobytes of PNG that would need gigabytes decoded in RGB."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    return out.getvalue()
