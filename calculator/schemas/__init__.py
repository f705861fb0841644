"""The JSON documents the service answers with.

These marshmallow schemas are the one serialization of core results: the HTTP
API, ``--json`` on the command line and notebooks all dump through them, so the
same question gets the same document everywhere.
"""
