"""Stripe's form encoding (`metadata[payment_id]=…`, `payment_method_types[0]=card`) decoded
into nested values, as Stripe's API reads the SDK's requests."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\]]*)\]")


def decode(body: bytes | str) -> dict[str, Any]:
    text = body.decode() if isinstance(body, bytes) else body
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head] + (_PART.findall("[" + rest) if rest else [])
        node: Any = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            following = None if last else path[i + 1]
            container: Any = (
                [] if following is not None and (following == "" or following.isdigit()) else {}
            )
            if isinstance(node, list):
                index = len(node) if part == "" else int(part)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    node[index] = node[index] if node[index] is not None else container
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return root
