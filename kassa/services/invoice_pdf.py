"""An invoice as a PDF a customer can file (fpdf2; DejaVu Sans where the system has it, so
Cyrillic and Uzbek text print; the built-in Helvetica otherwise, with unknown letters as '?')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kassa.db.models import Invoice, Payment
from kassa.domain.money import to_decimal_string

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def _font(pdf: Any) -> tuple[str, bool]:
    for path in FONT_CANDIDATES:
        if path.exists():
            pdf.add_font("DejaVu", "", str(path))
            return "DejaVu", True
    return "Helvetica", False


def render(invoice: Invoice, payment: Payment, seller: str) -> bytes:
    from fpdf import FPDF  # loaded when the first invoice is printed

    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.set_author(seller)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_font(family, size=20)
    pdf.cell(0, 12, text(f"Invoice {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    status = {"paid": "Paid", "refunded": "Refunded", "partially_refunded": "Partially refunded"}
    rows = [
        ("Issued by", seller),
        ("Billed to", invoice.user_id),
        ("Issued", invoice.issued_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Paid", invoice.paid_at.strftime("%Y-%m-%d %H:%M UTC") if invoice.paid_at else "-"),
        ("Status", status.get(invoice.status, invoice.status)),
        ("Payment", f"{payment.id} via {payment.provider}"),
    ]
    pdf.ln(4)
    for label, value in rows:
        pdf.cell(40, 8, text(label))
        pdf.cell(0, 8, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, size=12)
    pdf.cell(130, 10, text("Description"), border="B")
    pdf.cell(0, 10, text("Amount"), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    amount = f"{to_decimal_string(invoice.amount, invoice.currency)} {invoice.currency}"
    pdf.cell(130, 10, text(invoice.description or "Payment"))
    pdf.cell(0, 10, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    if payment.refunded_amount:
        refunded = (
            f"-{to_decimal_string(payment.refunded_amount, invoice.currency)} {invoice.currency}"
        )
        pdf.cell(130, 10, text("Refunded"))
        pdf.cell(0, 10, refunded, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
