"""The README's first steps are what a new user runs: two commands, and what they need."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Run it", 1)[1].split("\n## ", 1)[0]


def test_the_run_section_holds_exactly_two_commands():
    assert len(re.findall(r"^```sh\n(.+?)\n```", run_section(), flags=re.M | re.S)) == 2


def test_the_run_section_names_the_python_version_the_package_requires_and_the_port_option():
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == ">=3.11"
    section = run_section()
    assert "Python 3.11 or newer" in section and "--port" in section


def test_the_readme_says_how_a_raw_upload_picks_its_region_and_what_the_first_key_hides():
    text = (ROOT / "README.md").read_text()
    assert "v1/assessments?region=eu-efta-uk" in text
    assert "Records made\n  before the first key belong to no key" in text
    assert "calculator keys claim" in text
