"""The budget middleware's numeric settings are refused by name when they are not numbers
of the kind each one is: Scrapy's getters raised a bare "invalid literal for int()", which
named no setting, and a negative wait was taken as it was."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from calculator.scrapy_budget import BudgetMiddleware

BATCH = "a whole number of posts, 0 or more (0 or 1: one reservation per request)"
WHERE = {"CALCULATOR_BUDGET_URL": "http://127.0.0.1:1", "CALCULATOR_BUDGET_NAME": "fleet"}


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("CALCULATOR_BUDGET_BATCH", "abc", BATCH),
    ("CALCULATOR_BUDGET_BATCH", "-2", BATCH),
    ("CALCULATOR_BUDGET_UNSIZED_POSTS", "x", "a whole number of posts, 0 or more"),
    ("CALCULATOR_BUDGET_MAX_WAIT", "-5", "a number of seconds, 0 or more"),
    ("CALCULATOR_BUDGET_MAX_WAIT", "inf", "a number of seconds, 0 or more"),
    ("CALCULATOR_BUDGET_HOLD", "nan", "a number of seconds above 0"),
    ("CALCULATOR_BUDGET_HOLD", "soon", "a number of seconds above 0"),
])
def test_a_budget_setting_that_is_not_its_kind_of_number_is_refused_by_name(name, value,
                                                                          expected):
    crawler = get_crawler(settings_dict={**WHERE, name: value})
    with pytest.raises(ValueError) as refused:
        BudgetMiddleware.from_crawler(crawler)
    assert str(refused.value) == f"{name} is {expected}, not {value!r}"
