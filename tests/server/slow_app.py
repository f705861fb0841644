"""A WSGI app whose /slow outlasts any worker timeout, for the timeout test (and /health)."""

import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(120)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "ok"}']
