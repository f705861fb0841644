"""A crawler team's spider, as the crawl tests run it (``scrapy runspider``): it opens a
profile page and follows every X status-page link on it. The budget middleware is added
exactly as the crawler-team guide says; the site is reached through a local proxy, so the
URLs in Scrapy's log are X's own."""

from __future__ import annotations

import json
from pathlib import Path

import scrapy


class StatusSpider(scrapy.Spider):
    name = "statuses"
    custom_settings = {  # noqa: RUF012 (Scrapy's own convention for per-spider settings)
        "DOWNLOADER_MIDDLEWARES": {"calculator.scrapy_budget.BudgetMiddleware": 950},
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "DEBUG",
        "CONCURRENT_REQUESTS": 8,
    }

    def __init__(self, profile: str, proxy: str, stats_path: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.profile, self.proxy, self.stats_path = profile, proxy, stats_path

    async def start(self):
        yield scrapy.Request(f"http://x.com/{self.profile}", meta={"proxy": self.proxy})

    def parse(self, response):
        for link in response.css("a"):
            # A link may name the proxy it is reached through (one that is down, say).
            proxy = link.attrib.get("data-proxy", self.proxy)
            yield response.follow(link.attrib["href"], self.parse_post, meta={"proxy": proxy})

    def parse_post(self, response):
        yield {"post": response.url.rsplit("/", 1)[-1]}

    def closed(self, reason: str) -> None:
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if isinstance(v, (int, float, str))}
        Path(self.stats_path).write_text(json.dumps({"reason": reason, "stats": stats}))
