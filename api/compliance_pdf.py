"""The compliance report as a PDF a department head reads (Chinese headings), written with
reportlab, with a CJK font embedded (a subset of its glyphs), so that it renders the same on
any reader. reportlab embeds TrueType outlines only, so the font is WenQuanYi Zen Hei
(Debian's fonts-wqy-zenhei, installed by scripts/lib/bootstrap.sh) or AR PL UMing, not
Noto CJK (CFF outlines); a TTC file names its face by index. `COMPLIANCE_PDF_FONT` may name
another TrueType file (`path` or `path#index`)."""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from domain.compliance import FINDING_LABELS, ComplianceReport, FindingKind

FONT_NAME = "ReportCJK"
CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
)
ARTICLE = {
    FindingKind.ATTENDING_WITHOUT_DOSSIER: "第二十六条（一）",
    FindingKind.CHANGE_NOT_RECORDED_IN_TIME: "第二十六条（三）",
    FindingKind.DROPOUT_NOT_REPORTED: "第二十六条（四）",
    FindingKind.ADMITTED_WITHOUT_TRANSFER: "第二十六条（五）",
    FindingKind.ARCHIVE_NOT_HANDED_OVER: "第二十六条（六）",
    FindingKind.UNAUTHORISED_ATTEMPT: "第二十六条（七）",
    FindingKind.READS_OUTSIDE_PURPOSE: "第二十四条、第二十六条（七）",
}
TITLE = "义务教育学生学籍管理合规报告"
COLUMNS = ["时间", "学校", "学生", "说明", "证据"]


def font_file() -> tuple[Path, int]:
    """The CJK TrueType font to embed, and its index in a collection."""
    configured = os.environ.get("COMPLIANCE_PDF_FONT")
    if configured:
        path, _, index = configured.partition("#")
        return Path(path), int(index) if index else 0
    for candidate, face in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate), face
    found = sorted(Path("/usr/share/fonts").rglob("wqy-zenhei.tt[cf]")) if Path("/usr/share/fonts").is_dir() else []
    if found:
        return found[0], 0
    raise RuntimeError("no CJK TrueType font: install fonts-wqy-zenhei (scripts/lib/bootstrap.sh) or set COMPLIANCE_PDF_FONT")


@cache
def _register() -> str:
    path, index = font_file()
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=index))
    return FONT_NAME


def render(report: ComplianceReport, area_name: str) -> bytes:
    """The report: title, area and period, the count of each kind, then each kind's findings."""
    font = _register()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=24, spaceAfter=6)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=TITLE, author=report.generated_by)
    p = report.period
    story: list[object] = [
        Paragraph(escape(TITLE), title),
        Paragraph(escape(f"地区：{area_name}（{report.area_code}）　期间：{p.start.isoformat()} 至 {p.end.isoformat()}"), body),
        Paragraph(escape(f"生成时间：{report.generated_at:%Y-%m-%d %H:%M} UTC　生成人：{report.generated_by}"), body),
        Spacer(1, 4 * mm),
        Paragraph("汇总", heading),
    ]
    summary = [["情形", "依据", "数量"]] + [
        [FINDING_LABELS[k], ARTICLE[k], str(sum(1 for f in report.findings if f.kind is k))] for k in FindingKind
    ]
    story.append(_table([[Paragraph(escape(c), body) for c in r] for r in summary], [120 * mm, 60 * mm, 25 * mm]))
    for kind in FindingKind:
        found = [f for f in report.findings if f.kind is kind]
        if not found:
            continue
        story.append(Paragraph(escape(f"{FINDING_LABELS[kind]}（{ARTICLE[kind]}）"), heading))
        rows = [COLUMNS] + [
            [
                f"{f.at:%Y-%m-%d %H:%M}",
                f.school_code or "",
                " ".join(x for x in (f.student_name, f.student_number, f.account) if x),
                f.summary,
                "; ".join(f"{e.kind.value} {e.id}" for e in f.evidence[:5]) + (" …" if len(f.evidence) > 5 else ""),
            ]
            for f in found
        ]
        story.append(_table([[Paragraph(escape(c), body) for c in r] for r in rows], [28 * mm, 26 * mm, 50 * mm, 80 * mm, 86 * mm]))
    doc.build(story)
    return out.getvalue()


def _table(rows: list[list[Paragraph]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
