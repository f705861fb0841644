"""POST /v1/curves: a crawl log in, its trailing 24-hour post count over time out (for charts).

The log is read and assessed exactly as by POST /v1/assessments (same bodies, same options,
same problem details), so the curve's peak is the assessment's ``peak_24h``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import EXCLUDE

from calculator.api import auth
from calculator.api.assessments.log_request import (
    REQUEST_BODY,
    max_content,
    parse_options,
    request_log,
)
from calculator.api.curves.schemas import CurveOptionsSchema
from calculator.api.extensions import Blueprint
from calculator.damages.assessment import assess
from calculator.damages.curve import curve_document
from calculator.schemas.curve import CurveDocumentSchema

blp = Blueprint("curves", __name__, url_prefix="/v1",
                description="The trailing 24-hour post count of a crawl log, for charts.")
auth.protect(blp)  # the same key as POST /v1/assessments, once keys exist


@blp.route("/curves")
class Curves(MethodView):
    @blp.arguments(CurveOptionsSchema, location="query", as_kwargs=True,
                   unknown=EXCLUDE)  # refused with the form's options, in their words
    @blp.doc(requestBody=REQUEST_BODY, security=auth.SECURITY)
    @blp.response(200, CurveDocumentSchema)
    @blp.problem(400, "A multipart body without a boundary.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(413, "The body, or its decompressed content, is over the size limit.")
    @blp.problem(415, "A content type or encoding that is not a log.")
    @blp.problem(422, "The log or an option cannot be read: which row, which field, what was "
                      "expected.")
    def post(self, **_query: Any) -> Any:
        """The trailing 24-hour post count of a crawl log over time, with the threshold.

        The count at each point is the number of counted posts accessed in the clause's
        window (24 hours) ending at that instant: the line a chart draws against the
        threshold. Its highest point is the assessment's peak_24h.
        """
        stream, fmt, form, name = request_log()
        options = parse_options(form, CurveOptionsSchema)
        points = options.pop("points")
        assessment = assess(stream, rules=current_app.extensions["calculator.lookup"],
                            name=name, format_hint=fmt, max_bytes=max_content(), **options)
        return curve_document(assessment, points)
