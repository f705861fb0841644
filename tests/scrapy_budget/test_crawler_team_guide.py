"""The crawler-team guide shows the middleware in three lines, and they are the lines the
crawl tests' spider runs with."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from calculator.scrapy_budget import BudgetMiddleware

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "crawler-teams.md"


def settings_block() -> str:
    section = GUIDE.read_text().split("## 2. Add the middleware", 1)[1]
    return re.search(r"```python\n(.+?)\n```", section, flags=re.S).group(1)


def test_the_guide_adds_the_middleware_in_three_lines():
    assert len(settings_block().splitlines()) == 3


def test_the_three_lines_name_the_middleware_the_crawl_tests_run():
    settings: dict = {}
    exec(settings_block(), {}, settings)
    (path, priority), = settings["DOWNLOADER_MIDDLEWARES"].items()
    module, name = path.rsplit(".", 1)
    assert getattr(importlib.import_module(module), name) is BudgetMiddleware
    spider = (Path(__file__).with_name("status_spider.py")).read_text()
    assert f'"DOWNLOADER_MIDDLEWARES": {{"{path}": {priority}}}' in spider
    assert {"CALCULATOR_BUDGET_URL", "CALCULATOR_BUDGET_NAME"} <= set(settings)


def test_the_readme_points_crawler_teams_at_the_guide():
    assert "docs/crawler-teams.md" in (ROOT / "README.md").read_text()
