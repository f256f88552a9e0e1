"""GSM 7-bit / UCS-2 counting and page limits: the same cases (cases.json) run in the console's Vitest suite."""
import json
from pathlib import Path

import pytest

from omnicrm.cbc.text import text_info

CASES = json.loads((Path(__file__).parent / "cases.json").read_text())


def _text(case):
    return case["text"] if "text" in case else case["repeat"][0] * case["repeat"][1]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_counting(case):
    info = text_info(_text(case))
    assert (info["encoding"], info["characters"], info["pages"]) == (case["encoding"], case["characters"],
                                                                     case["pages"])
    if "too_long" in case:
        assert info["too_long"] is case["too_long"]
    assert info["remaining"] == info["max_characters"] - info["characters"]
    assert info["max_characters"] == (1395 if case["encoding"] == "GSM-7" else 615)
