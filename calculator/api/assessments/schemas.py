"""Options of an assessment request, given as query parameters or multipart form fields;
and the parameters of the stored assessments' list."""

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from calculator.api.arguments import InstantArg, region_arg
from calculator.api.paging import PageQuerySchema
from calculator.ingest.columns import OPTION, OPTION_HELP
from calculator.ingest.formats import FORMATS

REFERENCE_LENGTH = 200


# time_column, posts_column...: the columns of a tabular log, when not found by name.
ColumnOptionsSchema = Schema.from_dict(
    {OPTION[fact]: fields.String(load_default=None, allow_none=True,
                                 metadata={"description": OPTION_HELP[fact]})
     for fact in OPTION}, name="ColumnOptionsSchema")


class AssessOptionsSchema(ColumnOptionsSchema):  # type: ignore[misc, valid-type]
    platform = fields.String(load_default="x", metadata={"description": "Platform id."})
    region = region_arg()
    tz = fields.String(load_default="UTC", metadata={
        "description": "IANA zone of the calendar_day windows.", "example": "America/Chicago"})
    assume_tz = fields.String(load_default="UTC", metadata={
        "description": "IANA zone of timestamps without an offset."})
    format = fields.String(load_default=None, allow_none=True, metadata={
        "description": f"Force the format ({', '.join(FORMATS)}); detected from the "
                       "content otherwise."})
    headline = fields.String(load_default=None, allow_none=True, metadata={
        "description": "The reading to headline, window/rate/basis.",
        "example": "rolling_worst_case/pro_rata/all_posts"})
    count = fields.String(load_default="requested", validate=validate.OneOf(
        ["requested", "accessed", "distinct"]), metadata={
        "description": "What is priced: the posts of every request (requested, the default), "
                       "of requests answered with content (accessed), or different post ids "
                       "(distinct). All three are reported."})
    collected_from = InstantArg(load_default=None, metadata={
        "description": "Start of the collection window, for scraper outputs that record when "
                       "posts were created rather than when they were collected."})
    collected_to = InstantArg(load_default=None, metadata={
        "description": "End of the collection window (with collected_from)."})
    embedded_posts = fields.Boolean(load_default=False, metadata={
        "description": "Count quoted and reposted posts carried inside other posts."})

    @validates_schema
    def _window_has_both_ends(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("collected_from") is None) != (data.get("collected_to") is None):
            raise ValidationError("give both collected_from and collected_to, or neither",
                                  "collected_to")

    @post_load
    def _window(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        start, end = data.pop("collected_from", None), data.pop("collected_to", None)
        data["collection_window"] = None if start is None else (start, end)
        return data


def reference_field(description: str) -> fields.String:
    return fields.String(load_default=None, validate=validate.Length(1, REFERENCE_LENGTH),
                         metadata={"description": description, "example": "LEGAL-1234"})


class CreateAssessmentQuerySchema(AssessOptionsSchema):
    reference = reference_field("Your reference for the assessment (e.g. a review ticket "
                                "id), kept with it and usable as a list filter; at most "
                                f"{REFERENCE_LENGTH} characters.")


class RecordListQuerySchema(PageQuerySchema):
    """Paging and filters of a list of stored records (assessments or reviews)."""

    platform = fields.String(load_default=None, metadata={"description": "Only this platform."})
    reference = reference_field("Only records made with this reference.")
    created_from = InstantArg(load_default=None, metadata={
        "description": "Only records stored at or after this instant (a date means its "
                       "00:00 UTC)."})
