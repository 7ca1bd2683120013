"""An invoice as PDF (fpdf2). With the DejaVu fonts installed (Debian: fonts-dejavu-core) every character
prints; without them the built-in Helvetica is used and characters outside Latin-1 print as '?'."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf costs a fifth of the server's start-up: it is imported when an invoice is drawn
    from fpdf import FPDF

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_unicode = False


def _text(value) -> str:
    text = str(value if value is not None else "")
    return text if _unicode else text.encode("latin-1", "replace").decode("latin-1")


def _choose_font(pdf: FPDF) -> str:
    global _unicode
    regular, bold, oblique = (_DEJAVU / n for n in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"))
    if regular.exists() and bold.exists() and oblique.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.add_font("DejaVu", "I", str(oblique))
        _unicode = True
        return "DejaVu"
    _unicode = False
    return "Helvetica"


def money(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100:,}.{cents % 100:02d} {currency}"


def render_invoice(invoice: dict, lines: list[dict], issuer: str, number_text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    font = _choose_font(pdf)
    pdf.set_title(_text(f"Invoice {number_text}"))
    pdf.set_creator("PromptWatch")
    pdf.add_page()
    pdf.set_font(font, "B", 18)
    pdf.cell(0, 10, _text(f"Invoice {number_text}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    pdf.multi_cell(0, 5, _text(issuer), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    bill_to = invoice["bill_to"]
    pdf.set_font(font, "B", 10)
    pdf.cell(0, 5, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    for part in (bill_to.get("name"), bill_to.get("address"), bill_to.get("country")):
        if part:
            pdf.multi_cell(0, 5, _text(part), new_x="LMARGIN", new_y="NEXT")
    if bill_to.get("vat_id"):
        pdf.cell(0, 5, _text(f"VAT id: {bill_to['vat_id']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    issued = invoice["issued_at"]
    pdf.cell(0, 5, _text(f"Issued: {issued:%Y-%m-%d}    Period: {invoice['period']}    Plan: {invoice['plan']}"))
    pdf.ln(9)
    currency = invoice["currency"]
    widths = (90, 22, 28, 25, 25)
    pdf.set_font(font, "B", 9)
    for width, head in zip(widths, ("Description", "Quantity", "Unit", "Unit price", "Amount")):
        pdf.cell(width, 7, head, border="B", align="L" if head in ("Description", "Unit") else "R")
    pdf.ln()
    pdf.set_font(font, size=9)
    for line in lines:
        cells = (
            line["description"],
            f"{line['quantity']:,}",
            line["unit"],
            money(line["unit_price_cents"], currency),
            money(line["amount_cents"], currency),
        )
        for width, value, align in zip(widths, cells, "LRLRR"):
            pdf.cell(width, 6, _text(value), align=align)
        pdf.ln()
    pdf.ln(3)
    rate = invoice["tax_rate_bp"] / 100
    totals = (
        ("Subtotal", invoice["subtotal_cents"]),
        (f"Tax {rate:g} %", invoice["tax_cents"]),
        ("Total", invoice["total_cents"]),
    )
    for label, cents in totals:
        pdf.set_font(font, "B" if label == "Total" else "", 10)
        pdf.cell(sum(widths[:4]), 6, label, align="R")
        pdf.cell(widths[4], 6, _text(money(cents, currency)), align="R", new_x="LMARGIN", new_y="NEXT")
    if invoice.get("tax_note"):
        pdf.ln(3)
        pdf.set_font(font, "I", 9)
        pdf.multi_cell(0, 5, _text(invoice["tax_note"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
