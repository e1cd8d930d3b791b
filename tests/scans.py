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


# -- hostile files, written byte by byte so that nothing in a library tidies them up

PAGE_TREE = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
}


def raw_pdf(objects: dict[int, bytes], *, root: bytes = b"<< /Type /Catalog /Pages 2 0 R >>") -> bytes:
    """A classic PDF (xref table) with catalog 1, page tree 2-3 and the given objects."""
    body = {1: root, **PAGE_TREE, **objects}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(body):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body[num])
    size = max(body) + 1
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, start)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def pdf_file_attachment() -> bytes:
    """A file attached through an annotation (/Annots → /FS → /EF): no /EmbeddedFiles tree."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"
    return raw_pdf(
        {
            3: page,
            4: b"<< /Type /Annot /Subtype /FileAttachment /Rect [10 10 30 30] /FS 5 0 R >>",
            5: b"<< /Type /Filespec /F (setup.exe) /EF << /F 6 0 R >> >>",
            6: stream(b"MZ\x90\x00 not really a program"),
        }
    )


def pdf_action_chain(depth: int = 200, *, escaped: bool = True, direct: bool = False) -> bytes:
    """An open action followed by `depth` harmless GoTo actions through /Next, the last of
    them JavaScript, its names written with #xx escapes."""
    js = b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>" if escaped else b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    if direct:  # one object: the chain nested inside it
        action = js
        for _ in range(depth):
            action = b"<< /S /GoTo /D [3 0 R /Fit] /Next %s >>" % action
        return raw_pdf({4: action}, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    objects = {4 + i: b"<< /S /GoTo /D [3 0 R /Fit] /Next %d 0 R >>" % (5 + i) for i in range(depth)}
    objects[4 + depth] = js
    return raw_pdf(objects, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")


def pdf_object_stream_javascript() -> bytes:
    """JavaScript inside a compressed object stream, found through a cross-reference stream:
    no byte of it is visible in the file."""
    import zlib

    inner = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    header = b"4 0 "
    objstm = zlib.compress(header + inner)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        **PAGE_TREE,
        5: stream(objstm, b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header)),
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    xref_at = len(out)
    rows = bytearray(b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big"))
    for num in range(1, 7):
        if num == 4:
            rows += b"\x02" + (5).to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif num == 6:
            rows += b"\x01" + xref_at.to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += b"\x01" + offsets[num].to_bytes(4, "big") + (0).to_bytes(2, "big")
    out += b"6 0 obj\n%s\nendobj\n" % stream(bytes(rows), b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R")
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def pdf_incremental_javascript(escaped: bool = True) -> bytes:
    """A clean PDF, then after its %%EOF an incremental update that replaces the catalog
    with one that opens a JavaScript action."""
    clean = raw_pdf({})
    prev = int(clean.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    js = b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>" if escaped else b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    out = bytearray(clean)
    catalog_at = len(out)
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
    action_at = len(out)
    out += b"4 0 obj\n%s\nendobj\n" % js
    xref_at = len(out)
    out += b"xref\n1 1\n%010d 00000 n \n4 1\n%010d 00000 n \n" % (catalog_at, action_at)
    out += b"trailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref_at)
    return bytes(out)


def pdf_many_objects(count: int) -> bytes:
    """A page carrying `count` empty dictionaries, a thousand to an array."""
    arrays = b" ".join(b"[%s]" % (b"<<>>" * min(1000, count - i)) for i in range(0, count, 1000))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /PieceInfo [%s] >>" % arrays
    return raw_pdf({3: page})


def pdf_link(uri: bytes) -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"
    annot = b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (%s) >> >>" % uri
    return raw_pdf({3: page, 4: annot})


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("shell.php", "<?php system($_GET['c']); ?>")
    return out.getvalue()


def with_comment(jpeg_bytes: bytes, text: bytes) -> bytes:
    """A JPEG with a COM segment right after SOI (where polyglots hide a PDF or HTML header)."""
    return jpeg_bytes[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg_bytes[2:]


def tiff_with_large_page(small: tuple[int, int] = (100, 100), large: tuple[int, int] = (3000, 3000)) -> bytes:
    """A two-page TIFF whose first page is small and whose second is large (bilevel, so a
    few kilobytes compressed)."""
    frames = [Image.new("1", small), Image.new("1", large)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    return out.getvalue()
