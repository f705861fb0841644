"""The WSGI entry point: ``gunicorn wsgi:app``."""

import sys

from calculator.app import create_app
from calculator.errors import RulesetError

try:
    app = create_app()
except RulesetError as error:
    # One readable line instead of a traceback: the service does not start on broken rules.
    sys.exit(f"calculator: not starting: {error.one_line()}")
