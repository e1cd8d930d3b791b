"""Scan checks on local files (the same code the upload endpoint runs)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from domain.errors import DomainError
from domain.evidence import UploadLimits
from storage.scan_checks import _raw_active, check_file, check_type, inspect, inspection_of, jpeg_layout, pdf_hazard, png_layout, sniff
from tests import scans


def _inspect(tmp_path: Path, body: bytes, real: str, limits: UploadLimits = UploadLimits()) -> object:
    path = tmp_path / "upload"
    path.write_bytes(body)
    return inspect(path, real, limits, tmp_path)


def _refusal(tmp_path: Path, body: bytes, real: str, limits: UploadLimits = UploadLimits()) -> str:
    with pytest.raises(DomainError) as e:
        _inspect(tmp_path, body, real, limits)
    return e.value.code


def test_lossless_strip_removes_exif_and_gps_and_keeps_every_pixel(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(scans.jpeg(gps=True, orientation=1))
    found = inspect(source, "image/jpeg", UploadLimits(), tmp_path)
    assert found.rendition is not None and found.trailing_bytes == 0
    with Image.open(found.rendition.path) as stripped, Image.open(source) as original:
        assert len(stripped.getexif()) == 0
        assert stripped.tobytes() == original.tobytes()
        plain = tmp_path / "plain.jpg"
        stripped.save(plain, "JPEG")
    assert inspect(plain, "image/jpeg", UploadLimits(), tmp_path).rendition is None  # already clean


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_layout_ends_at_the_primary_image(progressive: bool) -> None:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (1, 2, 3)).save(out, "JPEG", progressive=progressive)
    image = out.getvalue()
    layout = jpeg_layout(image + scans.zip_archive())
    assert layout.end == len(image) and layout.frames == ((120, 80),)
    filled = image[:-2] + b"\xff\xff\xff\xd9"  # fill bytes before the end marker are legal
    assert jpeg_layout(filled).end == len(filled)
    for broken in (image[:-2], image[:100], b"\xff\xd8\xff\xda\x00"):
        with pytest.raises(DomainError):
            jpeg_layout(broken)


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize("metadata", [True, False])
def test_bytes_after_a_jpeg_are_counted_and_never_in_the_rendition(tmp_path: Path, orientation: int, metadata: bool) -> None:
    if metadata:
        image = scans.jpeg(orientation=orientation)
    else:
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (9, 9, 9)).save(out, "JPEG")
        image = out.getvalue()
    for tail in (scans.zip_archive(), b"<?php system($_GET['c']); ?>", scans.raw_pdf({}), b"\0" * 64):
        found = _inspect(tmp_path, image + tail, "image/jpeg")
        assert found.trailing_bytes == len(tail)  # type: ignore[attr-defined]
        assert found.rendition is not None  # type: ignore[attr-defined]
        served = found.rendition.path.read_bytes()  # type: ignore[attr-defined]
        assert tail not in served and served.endswith(b"\xff\xd9")
        assert not zipfile.is_zipfile(io.BytesIO(served)) and b"<?php" not in served and b"%PDF" not in served
        with Image.open(io.BytesIO(served)) as img:
            img.load()


def test_polyglot_headers_in_jpeg_segments_are_not_served(tmp_path: Path) -> None:
    for hidden in (b"%PDF-1.7\n1 0 obj", b"<html><script>alert(1)</script></html>"):
        body = scans.with_comment(scans.jpeg(orientation=1, gps=False), hidden) + scans.raw_pdf({})
        found = _inspect(tmp_path, body, "image/jpeg")
        served = found.rendition.path.read_bytes()  # type: ignore[attr-defined]
        assert hidden not in served and b"%PDF" not in served and sniff(served[:8192]) == "image/jpeg"


def test_bytes_after_png_iend_are_counted_and_never_in_the_rendition(tmp_path: Path) -> None:
    image = scans.png()
    end, sizes = png_layout(image + b"PK\x03\x04rest")
    assert end == len(image) and sizes == [(300, 200)]
    found = _inspect(tmp_path, image + scans.zip_archive(), "image/png")
    assert found.trailing_bytes == len(scans.zip_archive())  # type: ignore[attr-defined]
    served = found.rendition.path.read_bytes()  # type: ignore[attr-defined]
    assert served.endswith(b"IEND\xaeB`\x82") and not zipfile.is_zipfile(io.BytesIO(served))
    assert _refusal(tmp_path, image[:-12], "image/png") == "CORRUPT_IMAGE"  # no IEND


def test_rotated_scans_are_rendered_upright(tmp_path: Path) -> None:
    path = tmp_path / "in.jpg"
    path.write_bytes(scans.jpeg(size=(64, 32), orientation=6))
    found = inspect(path, "image/jpeg", UploadLimits(), tmp_path)
    assert found.rendition is not None
    with Image.open(found.rendition.path) as upright:
        assert upright.size == (32, 64)


def test_sniffing_ignores_names_and_declarations() -> None:
    assert sniff(scans.png()) == "image/png"
    assert sniff(scans.pdf(1)) == "application/pdf"
    assert sniff(scans.tiff(1)) == "image/tiff"
    check_type("image/jpeg", "photo.JPG", "image/jpg")  # case and the common image/jpg alias
    for real, name, declared, code in [
        ("image/png", "a.pdf", None, "NAME_TYPE_MISMATCH"),
        ("image/jpeg", None, "application/pdf", "DECLARED_TYPE_MISMATCH"),
        ("text/html", "a.jpg", "image/jpeg", "TYPE_NOT_ALLOWED"),
        ("image/gif", "a.gif", "image/gif", "TYPE_NOT_ALLOWED"),
    ]:
        with pytest.raises(DomainError) as e:
            check_type(real, name, declared)
        assert e.value.code == code


def _hazard(data: bytes, max_objects: int = 100_000) -> str | None:
    return pdf_hazard(PdfReader(io.BytesIO(data), strict=False), max_objects)


def test_escaped_names_are_decoded_by_the_byte_scan_and_found_by_the_object_walk() -> None:
    data = scans.pdf(1, javascript=True, hide_names=True)
    assert b"/JavaScript" not in data and _raw_active(data) == "/JavaScript"
    assert _hazard(data) is not None
    assert _raw_active(scans.pdf(2)) is None and _hazard(scans.pdf(2)) is None


@pytest.mark.parametrize(
    "make",
    [
        scans.pdf_file_attachment,
        lambda: scans.pdf_action_chain(200),
        lambda: scans.pdf_action_chain(200, direct=True),
        lambda: scans.pdf_action_chain(2000, escaped=False),
        scans.pdf_object_stream_javascript,
        scans.pdf_incremental_javascript,
        lambda: scans.pdf_link(b"javascript:app.alert(1)"),
        lambda: scans.pdf_link(b" \x01JaVa\tScRiPt:app.alert(1)"),
        lambda: scans.pdf_link(b"file:///C:/Windows/System32/calc.exe"),
        lambda: scans.raw_pdf({4: b"<< /S /Launch /F (cmd.exe) >>"}, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
        lambda: scans.raw_pdf({4: b"<< /S /GoToR /F (\\\\\\\\host\\\\share\\\\x.pdf) /D [0 /Fit] >>"}, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
        lambda: scans.raw_pdf({4: b"<< /S /SubmitForm /F << /FS /URL /F (https://example.org) >> >>"}, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
        lambda: scans.raw_pdf({4: b"<< /Fields [] /XFA 5 0 R >>", 5: scans.stream(b"<xdp/>")}, root=b"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>"),
        # the action type through an indirect reference, as a viewer resolves it
        lambda: scans.raw_pdf({4: b"<< /S 5 0 R /F (x) >>", 5: b"/Launch"}, root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
    ],
    ids=["annotation-attachment", "next-chain-200", "next-chain-direct", "next-chain-2000", "object-stream", "incremental-update",
         "javascript-uri", "javascript-uri-obfuscated", "file-uri", "launch", "gotor-unc", "submitform", "xfa", "indirect-action-type"],
)
def test_active_pdf_content_is_refused_however_it_is_reached(tmp_path: Path, make: object) -> None:
    body = make()  # type: ignore[operator]
    assert _refusal(tmp_path, body, "application/pdf") == "PDF_ACTIVE_CONTENT"


def test_the_byte_scan_skips_stream_data_in_one_pass() -> None:
    import time

    noise = scans.stream(b"random image bytes /JS ( here")  # inside a stream: not a name
    assert _raw_active(scans.raw_pdf({4: noise})) is None
    assert _raw_active(scans.raw_pdf({4: noise, 5: b"<< /S /Launch >>"})) == "/Launch"
    hostile = b"%PDF-1.7\n" + b"stream\n" * 500_000 + b"/J#53"  # no endstream anywhere
    started = time.perf_counter()
    assert _raw_active(hostile) == "/JS"
    assert time.perf_counter() - started < 5


def test_the_object_walk_itself_finds_what_the_byte_scan_cannot_see() -> None:
    """Each of these passes the byte scan: compressed, or escaped beyond its reach."""
    assert _raw_active(scans.pdf_object_stream_javascript()) is None
    assert _hazard(scans.pdf_object_stream_javascript()) == "JavaScript"
    for chain in (scans.pdf_action_chain(200), scans.pdf_action_chain(200, direct=True), scans.pdf_file_attachment()):
        assert _hazard(chain) is not None


def test_the_object_walk_is_bounded_by_count_and_refuses_at_the_bound(tmp_path: Path) -> None:
    assert _hazard(scans.pdf_many_objects(500)) is None
    limits = UploadLimits(max_pdf_objects=400)
    assert _refusal(tmp_path, scans.pdf_many_objects(500), "application/pdf", limits) == "PDF_TOO_COMPLEX"
    assert _refusal(tmp_path, scans.pdf_many_objects(150_000), "application/pdf") == "PDF_TOO_COMPLEX"
    # objects that are not containers count too: a cross-reference table of 120,000 numbers
    numbers = scans.raw_pdf({4 + i: b"%d" % i for i in range(120_000)})
    assert _refusal(tmp_path, numbers, "application/pdf") == "PDF_TOO_COMPLEX"
    # a chain deeper than any depth limit, all harmless, is walked to its end and accepted
    harmless = scans.raw_pdf(
        {4 + i: b"<< /S /GoTo /D [3 0 R /Fit] /Next %d 0 R >>" % (5 + i) for i in range(3000)} | {3004: b"<< /S /GoTo /D [3 0 R /Fit] >>"},
        root=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
    )
    assert _inspect(tmp_path, harmless, "application/pdf").pages == 1  # type: ignore[attr-defined]


def test_nothing_may_follow_a_pdfs_end_of_file_marker(tmp_path: Path) -> None:
    """A PDF has no rendition (everyone downloads the original), so an appended file is refused."""
    clean = scans.raw_pdf({})
    assert _refusal(tmp_path, clean + scans.zip_archive(), "application/pdf") == "PDF_TRAILING_DATA"
    assert _refusal(tmp_path, clean + b"<html><script>alert(1)</script>", "application/pdf") == "PDF_TRAILING_DATA"
    assert _refusal(tmp_path, clean.replace(b"%%EOF", b""), "application/pdf") == "CORRUPT_PDF"
    assert _inspect(tmp_path, clean + b"\r\n\x00\x00\n", "application/pdf").pages == 1  # type: ignore[attr-defined]


def test_web_links_and_clean_files_pass(tmp_path: Path) -> None:
    links = (b"https://www.chsi.com.cn/verify", b"HTTP://example.org", b"mailto:xueji@example.org", b"verify/2026/001")
    for body in (*(scans.pdf_link(u) for u in links), scans.raw_pdf({}), scans.pdf(3)):
        assert _inspect(tmp_path, body, "application/pdf").content_type == "application/pdf"  # type: ignore[attr-defined]


def test_page_and_pixel_limits(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(scans.pdf(3))
    with pytest.raises(DomainError) as e:
        inspect(path, "application/pdf", UploadLimits(max_pages=2), tmp_path)
    assert e.value.code == "TOO_MANY_PAGES"
    img = tmp_path / "x.png"
    img.write_bytes(scans.png())
    with pytest.raises(DomainError) as e:
        inspect(img, "image/png", UploadLimits(max_pixels=100), tmp_path)
    assert e.value.code == "IMAGE_TOO_LARGE"


def test_the_pixel_count_of_every_page_is_checked_explicitly(tmp_path: Path) -> None:
    """The limit is the configured one, for every page, whatever Pillow's global guard says."""
    limits = UploadLimits(max_pixels=1_000_000)
    assert _refusal(tmp_path, scans.tiff_with_large_page((100, 100), (1100, 1000)), "image/tiff", limits) == "IMAGE_TOO_LARGE"
    assert _inspect(tmp_path, scans.tiff_with_large_page((100, 100), (1000, 1000)), "image/tiff", limits).pages == 2  # type: ignore[attr-defined]
    out = io.BytesIO()
    Image.new("L", (1100, 1000)).save(out, "JPEG")
    assert _refusal(tmp_path, out.getvalue(), "image/jpeg", limits) == "IMAGE_TOO_LARGE"
    # a header that claims 81 megapixels is refused before anything is decoded
    header = bytearray(scans.png())
    header[16:24] = (9000).to_bytes(4, "big") + (9000).to_bytes(4, "big")
    assert _refusal(tmp_path, bytes(header), "image/png") == "IMAGE_TOO_LARGE"


def test_tiff_pages_are_counted_from_their_headers_up_to_the_limit(tmp_path: Path) -> None:
    assert _refusal(tmp_path, scans.tiff(5), "image/tiff", UploadLimits(max_pages=3)) == "TOO_MANY_PAGES"
    assert _inspect(tmp_path, scans.tiff(3), "image/tiff", UploadLimits(max_pages=3)).pages == 3  # type: ignore[attr-defined]


def test_the_worker_entry_point_returns_plain_data(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "x.jpg"
    path.write_bytes(scans.jpeg(orientation=1) + b"tail")
    outcome = check_file(str(path), "image/jpeg", (1 << 20, 60_000_000, 60, 1000), str(tmp_path))
    assert pickle.loads(pickle.dumps(outcome)) == outcome and outcome["trailing_bytes"] == 4
    assert inspection_of(outcome).rendition is not None
    path.write_bytes(b"\xff\xd8\xff\xe0garbage")
    refused = check_file(str(path), "image/jpeg", (1 << 20, 60_000_000, 60, 1000), str(tmp_path))
    assert refused["refused"] is not None and refused["refused"]["code"] == "CORRUPT_IMAGE"
    with pytest.raises(DomainError):
        inspection_of(refused)
