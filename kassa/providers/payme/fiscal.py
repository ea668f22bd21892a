"""Payme's fiscal shapes: the `detail` kassa gives in CheckPerformTransaction (and in
receipts.create for saved-card charges), from which Payme prints the fiscal receipt.

`detail` = {"receipt_type": 0, "items": [{"title", "price", "count", "code",
"package_code", "vat_percent", "discount"?, "units"?}]}: `price` per unit in tiyin, `discount`
the whole line's, `code` the IKPU (payme-details.md § CheckPerformTransaction `detail`,
after payme-pkg `types/response/webhook.py` and Paycom's fiscalisation notes). Only lines
with Uzbek fiscal data can be printed; without them Payme gets no `detail`.
"""

from __future__ import annotations

from typing import Any

from kassa.domain.fiscal import Line

SALE = 0  # receipt_type: a sale


def detail(lines: tuple[Line, ...]) -> dict[str, Any] | None:
    if not lines or not all("ikpu_code" in line.fiscal for line in lines):
        return None
    items = []
    for line in lines:
        item: dict[str, Any] = {
            "title": line.title[:128],
            "price": line.unit_price,
            "count": line.quantity,
            "code": str(line.fiscal["ikpu_code"]),
            "package_code": str(line.fiscal["package_code"]),
            "vat_percent": int(line.fiscal["vat_percent"]),
        }
        if line.discount:
            item["discount"] = line.discount
        if line.fiscal.get("units"):
            item["units"] = int(line.fiscal["units"])
        items.append(item)
    return {"receipt_type": SALE, "items": items}
