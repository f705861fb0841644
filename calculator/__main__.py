"""``python -m calculator``: the ``calculator`` command."""

from calculator.cli import main

main(prog_name="calculator")
