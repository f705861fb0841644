"""The paging fields every list's query shares: which page, how many items on it, and the
instant its links pin so that items made while a client pages do not shift its pages."""

from marshmallow import Schema, fields, validate

from calculator.api.arguments import InstantArg

MAX_PAGE_SIZE = 100
# Far past any real list (10^8 items at the largest page size), and small enough that the
# offset it asks of the database stays a 64-bit integer.
MAX_PAGE = 1_000_000


class PageQuerySchema(Schema):
    """Paging of a list, newest first; a list's own filters are added by its subclass."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={
        "description": f"The page, from 1 (newest first) to {MAX_PAGE:,}; a page past the "
                       "last is empty."})
    page_size = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"description": f"Items per page, 1 to "
                                                        f"{MAX_PAGE_SIZE}."})
    created_to = InstantArg(load_default=None, metadata={
        "description": "Only items made before this instant (exclusive). The page links "
                       "carry it, set to when the first page was read, so that items made "
                       "while a client pages do not shift its pages."})
