"""What scraping a platform costs under its terms, and which terms applied when.

``calculator.assess(source, **options)`` assesses a crawl log;
``calculator.rules`` looks up which terms applied when.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def assess(source: Any, **options: Any) -> Any:
    """Assess a crawl log under every reading of the platform's damages clause.

    See :func:`calculator.damages.assessment.assess` for the options.
    """
    from calculator.damages.assessment import assess as run

    return run(source, **options)
