"""One synthetic-data notice: every place that shows it takes the wording from hubcore.notices,
and no module words its own."""

from __future__ import annotations

import re
from pathlib import Path

from hubcore import notices

ROOT = Path(__file__).resolve().parents[1]


def test_page_banner_and_briefing_say_the_same():
    from dashboards.common import layout
    from hubcore.briefing import content

    detail = "no figure describes a real school, employer or young person."
    assert layout.SYNTHETIC_NOTICE.startswith("**Synthetic demonstration data.** Every school")
    assert layout.SYNTHETIC_NOTICE.endswith(detail)
    assert content.SYNTHETIC_NOTICE.startswith("SYNTHETIC DATA: every school")
    assert content.SYNTHETIC_NOTICE.endswith(detail)


def test_no_module_words_its_own_notice():
    """A notice worded in a module of its own would drift from the others: the phrases of the
    old notices (pages' banner, briefing) and of the current one occur only in notices.py."""
    phrases = re.compile(
        r"fictional demo hub|no real person or place|describes a real school", re.IGNORECASE)
    worded = [
        str(path.relative_to(ROOT))
        for folder in ("hubcore", "dashboards")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "notices.py" and phrases.search(path.read_text())
    ]
    assert worded == []
    assert notices.SYNTHETIC_NOTICE.startswith(notices.SYNTHETIC_TAG)
