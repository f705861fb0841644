"""Versioned rules: load and validate them, find what was in force, and what changed."""

from calculator.rules.loader import bundled_rules_dir, load_ruleset, ruleset_revision
from calculator.rules.lookup import RuleLookup
from calculator.rules.model import Ruleset

__all__ = ["RuleLookup", "Ruleset", "bundled_rules_dir", "load_ruleset", "ruleset_revision"]
