"""Invoices and credit notes as PDFs a merchant can hand to an accountant (fpdf2, in DejaVu
Sans from Debian's fonts-dejavu-core, so Cyrillic, Kazakh and Uzbek's oʻ and gʻ print; a
server without it refuses to print rather than print '?'): seller and buyer, lines with
quantity, unit price, discount and the VAT inside, totals, the fiscal receipt's check link
and QR code, the credit notes issued. Their words are in kassa.services.billing.document_words."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kassa.domain.documents import DEFAULT_TIME_ZONE, totals, zone
from kassa.domain.errors import KassaError
from kassa.domain.fiscal import Line
from kassa.domain.language import translate
from kassa.domain.money import format_amount
from kassa.services.billing.document_words import CATALOGUES

# Where Debian's fonts-dejavu-core puts DejaVu Sans (and where other systems do).
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
FONT_PACKAGE = "fonts-dejavu-core"


class FontMissing(KassaError):
    """The documents' font is not on this server: nothing is printed rather than '?'."""

    code, title = "service_unavailable", "Documents cannot be printed"


def font_path(candidates: tuple[Path, ...] = FONT_CANDIDATES) -> Path:
    """DejaVu Sans, or FontMissing saying which package gives it."""
    for path in candidates:
        if path.exists():
            return path
    raise FontMissing(
        "invoices and credit notes print in DejaVu Sans, which this server lacks: install "
        f"the Debian package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE}); looked in "
        + ", ".join(str(p) for p in candidates)
    )


def unprintable() -> str | None:
    """Why documents cannot be printed here, or None: said in the log as kassa starts."""
    try:
        font_path()
    except FontMissing as exc:
        return exc.detail
    return None


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    lines: tuple[str, ...] = ()  # address, tax id, bank details, contacts


@dataclass(frozen=True, slots=True)
class CreditNoteRef:
    number: str
    issued_at: datetime
    amount: int


@dataclass(frozen=True, slots=True)
class Document:
    """What a PDF says: an invoice, or a credit note (`corrects` names its invoice)."""

    title: str
    number: str
    issued_at: datetime
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    facts: list[tuple[str, str]] = field(default_factory=list)  # status, payment, dates
    fiscal: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[CreditNoteRef] = field(default_factory=list)
    corrects: str | None = None
    language: str = "en"
    time_zone: str = DEFAULT_TIME_ZONE  # the seller's: every date is printed in it
    totals: dict[str, int] | None = None  # as issued; None: summed from the lines

    def word(self, english: str, context: str | None = None) -> str:
        """A label in the document's language."""
        return translate(CATALOGUES, english, self.language, context)


class _Pdf:
    def __init__(self, title: str, author: str) -> None:
        from fpdf import FPDF  # loaded when the first document is printed

        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_author(author)
        self.pdf.add_page()
        self.pdf.add_font("DejaVu", "", str(font_path()))
        self.family = "DejaVu"

    def text(self, value: str) -> str:
        return value

    def font(self, size: float) -> None:
        self.pdf.set_font(self.family, size=size)

    def cell(
        self,
        width: float,
        value: str,
        *,
        align: str = "L",
        border: str = "",
        nl: bool = False,
        height: float = 6,
    ) -> None:
        kwargs: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"} if nl else {}
        self.pdf.cell(width, height, self.text(value), border=border, align=align, **kwargs)


def _vat_label(doc: Document, line: Line) -> str:
    rate = line.vat_percent()
    return doc.word("no VAT") if rate is None else f"{rate}%"


def render(doc: Document) -> bytes:
    w = doc.word
    out = _Pdf(f"{w(doc.title)} {doc.number}", doc.seller.name)
    pdf = out.pdf
    out.font(18)
    out.cell(0, f"{w(doc.title)} {doc.number}", nl=True, height=10)
    out.font(9)
    out.cell(0, f"{w('Issued', doc.title)} {dated(doc.issued_at, doc.time_zone)}", nl=True)
    if doc.corrects:
        out.cell(0, f"{w('Corrects invoice')} {doc.corrects}", nl=True)
    pdf.ln(3)
    top = pdf.get_y()
    for x, heading, party in ((10, "Seller", doc.seller), (110, "Buyer", doc.buyer)):
        pdf.set_xy(x, top)
        out.font(8)
        out.cell(90, w(heading).upper())
        pdf.set_xy(x, top + 5)
        out.font(11)
        out.cell(90, party.name)
        out.font(9)
        for i, detail in enumerate(party.lines):
            pdf.set_xy(x, top + 11 + 5 * i)
            out.cell(90, detail)
    pdf.set_xy(10, top + 13 + 5 * max(len(doc.seller.lines), len(doc.buyer.lines)))
    for label, value in doc.facts:
        out.font(9)
        out.cell(35, w(label))
        out.cell(0, value, nl=True)
    pdf.ln(3)

    widths = (70, 14, 30, 26, 18, 32)
    heads = ("Description", "Qty", "Unit price", "Discount", "VAT", "Amount")
    out.font(8)
    for width, head in zip(widths, heads, strict=True):
        out.cell(width, w(head).upper(), border="B", align="L" if head == "Description" else "R")
    pdf.ln(7)
    out.font(9)
    currency = doc.currency
    for line in doc.lines:
        values = (
            line.title[:48],
            str(line.quantity),
            format_amount(line.unit_price, currency),
            format_amount(line.discount, currency) if line.discount else "-",
            _vat_label(doc, line),
            format_amount(line.total, currency),
        )
        for width, value in zip(widths, values, strict=True):
            out.cell(width, value, align="L" if width == 70 else "R")
        pdf.ln(6)
        if "ikpu_code" in line.fiscal:
            out.font(7)
            ikpu, package = line.fiscal["ikpu_code"], line.fiscal["package_code"]
            codes = f"{w('IKPU')} {ikpu} · {w('package')} {package}"
            out.cell(0, "    " + codes, nl=True, height=4)
            out.font(9)

    sums = doc.totals or totals(doc.lines)
    pdf.ln(2)
    rows = [("Subtotal", format_amount(sums["subtotal"], currency))]
    if sums["discount"]:
        rows.append(("Discount", format_amount(-sums["discount"], currency)))
    rows.append(("Total", format_amount(sums["total"], currency)))
    rows.append(("of which VAT", format_amount(sums["vat"], currency)))
    for label, value in rows:
        pdf.set_x(110)
        out.font(11 if label == "Total" else 9)
        out.cell(50, w(label))
        out.cell(40, value, align="R", nl=True)

    if doc.credit_notes:
        pdf.ln(3)
        out.font(9)
        out.cell(0, w("Credit notes"), nl=True)
        for note in doc.credit_notes:
            amount = format_amount(-note.amount, currency)
            day = f"{note.issued_at.astimezone(zone(doc.time_zone)):%Y-%m-%d}"
            out.cell(0, f"{note.number}  {day}  {amount}", nl=True)
    for receipt in doc.fiscal:
        _fiscal_receipt(out, receipt, doc)
    return bytes(pdf.output())


def _fiscal_receipt(out: _Pdf, receipt: dict[str, Any], doc: Document) -> None:
    """The fiscal receipt's check link, and its QR code for a phone to open."""
    import segno

    url = receipt.get("qr_code_url")
    if not url:
        return
    pdf = out.pdf
    pdf.ln(4)
    out.font(9)
    sale = receipt.get("kind") == "sale"
    kind = doc.word("Fiscal receipt" if sale else "Fiscal receipt (refund)")
    number = f"{doc.word('No.')} {receipt.get('receipt_id')}"
    out.cell(0, f"{kind} {number} ({receipt.get('provider')})", nl=True)
    out.font(7)
    out.cell(0, str(url)[:120], nl=True, height=4)
    image = io.BytesIO()
    segno.make(str(url), error="m").save(image, kind="png", scale=4, border=2)
    image.seek(0)
    pdf.image(image, w=28)


def dated(at: datetime, time_zone: str) -> str:
    """A moment as a document prints it: in its seller's time zone, named."""
    return f"{at.astimezone(zone(time_zone)):%Y-%m-%d %H:%M} {time_zone}"
