"""The WSGI entry point: ``gunicorn wsgi:app``."""

import sys

from calculator.app import create_app
from calculator.errors import CalculatorError

try:
    app = create_app()
except CalculatorError as error:
    # One readable line instead of a traceback: the service does not start on broken rules
    # or a database it cannot open.
    sys.exit(f"calculator: not starting: {error.one_line()}")
