"""What scraping a platform costs under its terms, and which terms applied when.

``calculator.assess(source, **options)`` assesses a crawl log;
``calculator.review(profile)`` reviews a data-licensing usage profile;
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


def review(profile: Any, **options: Any) -> Any:
    """Review a usage profile (a mapping, a path to a JSON file, or JSON bytes).

    See :func:`calculator.review.engine.review`. Once ``calculator.review`` (the package) is
    imported it takes this name, and is callable the same way.
    """
    from calculator.review.engine import review as run

    return run(profile, **options)
