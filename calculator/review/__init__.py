"""Review a data-licensing usage profile: terms in force, changes, damages, licensed cost,
AI training, retention, forum; each finding cited to the rules' words.

``calculator.review(profile)`` is this package called as a function: Python binds a
subpackage to its parent's attribute once it is imported, which would hide the lazy
``calculator.review`` function, so the package itself is callable and does the same.
"""

import sys
import types
from typing import Any

from calculator.review.engine import Review, review
from calculator.review.findings import CODES, SEVERITIES, Citation, Finding, Gap
from calculator.review.profile import (
    CHANNELS,
    DATA_CATEGORIES,
    PURPOSES,
    Profile,
    ProfileSchema,
    load_profile,
)

__all__ = ["CHANNELS", "CODES", "DATA_CATEGORIES", "PURPOSES", "SEVERITIES", "Citation",
           "Finding", "Gap", "Profile", "ProfileSchema", "Review", "load_profile", "review"]


class _CallablePackage(types.ModuleType):
    def __call__(self, profile: Any, **options: Any) -> Review:
        """Review a usage profile (see :func:`calculator.review.engine.review`)."""
        return review(profile, **options)


sys.modules[__name__].__class__ = _CallablePackage
