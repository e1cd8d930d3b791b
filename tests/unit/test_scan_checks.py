"""Scan checks on local files (the same code the upload endpoint runs)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from domain.errors import DomainError
from domain.evidence import UploadLimits
from storage.scan_checks import _has_active_content, _raw_active, check_type, inspect, sniff, strip_jpeg_metadata
from tests import scans


def test_lossless_strip_removes_exif_and_gps_and_keeps_every_pixel(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jpg", tmp_path / "out.jpg"
    source.write_bytes(scans.jpeg(gps=True, orientation=1))
    assert strip_jpeg_metadata(source, target) is True
    with Image.open(target) as stripped, Image.open(source) as original:
        assert len(stripped.getexif()) == 0
        assert stripped.tobytes() == original.tobytes()
        plain = tmp_path / "plain.jpg"
        stripped.save(plain, "JPEG")
    assert strip_jpeg_metadata(plain, tmp_path / "unused.jpg") is False


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


def test_escaped_javascript_names_are_found_in_the_object_graph(tmp_path: Path) -> None:
    data = scans.pdf(1, javascript=True, hide_names=True)
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    assert not _raw_active(path)  # the byte scan alone would miss it
    assert _has_active_content(PdfReader(io.BytesIO(data), strict=False).trailer["/Root"], 0, set())
    assert not _has_active_content(PdfReader(io.BytesIO(scans.pdf(2))).trailer["/Root"], 0, set())


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
