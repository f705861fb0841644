"""What scraping a platform costs under its terms, and which terms applied when."""

__version__ = "0.1.0"
