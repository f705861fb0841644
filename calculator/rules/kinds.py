"""What each kind of clause records as parameters, one schema per kind.

A clause's words are always kept as quotes; parameters are the facts the
engine and the reviews compute with. Unknown keys are refused, so a typo in a
rule file is an error and not a silently ignored fact.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from calculator.rules.fields import (
    Currency,
    IsoDuration,
    Money,
    Period,
    Slug,
    StrictBool,
    StrictInt,
    StrictStr,
)

# The primary legal bases X's data-processing page names for the EU, EFTA States and the UK;
# the last: "Determined by the legal bases set forth in this table ... for which the service
# provider is retained".
LEGAL_BASES = ("contractual-necessity", "legitimate-interests", "consent", "legal-obligation",
               "as-for-the-underlying-processing")


def _text(**kwargs) -> StrictStr:
    return StrictStr(**kwargs)


class LiquidatedDamagesParameters(Schema):
    threshold_posts = StrictInt(required=True, validate=validate.Range(min=0))
    # "more than 1,000,000" is strict: a window at exactly the threshold owes nothing.
    threshold_rule = fields.String(required=True, validate=validate.OneOf(["more_than"]))
    window = IsoDuration(required=True)
    amount = Money(required=True)
    per_posts = StrictInt(required=True, validate=validate.Range(min=1))
    currency = Currency(required=True)
    liability = fields.String(required=True,
                              validate=validate.OneOf(["joint_and_several", "several"]))
    trigger = _text(required=True)
    counted_acts = fields.List(Slug(), required=True, validate=validate.Length(min=1))


class ScrapingProhibitionParameters(Schema):
    consent = fields.String(required=True, validate=validate.OneOf([
        "prior_consent", "prior_written_consent", "express_written_permission",
        "express_permission", "express_prior_permission", "prior_permission",
        "prior_written_permission", "written_approval", "permission", "separate_agreement",
        "none_possible"]))
    robots_txt_crawling_allowed = StrictBool(required=True)
    # Whether these words themselves put an amount on a breach (none of them does).
    states_damages_amount = StrictBool(required=True)
    covers_ai_training = StrictBool(load_default=False)


class GoverningLawParameters(Schema):
    law = _text(required=True)
    venue = _text(allow_none=True, load_default=None)
    exclusive_venue = StrictBool(allow_none=True, load_default=None)
    arbitration = _text(allow_none=True, load_default=None)
    applies_to = _text(allow_none=True, load_default=None)


class TimeLimit(Schema):
    claims = fields.String(required=True, validate=validate.OneOf(["all", "federal", "state"]))
    period = IsoDuration(required=True)


class ClaimsTimeLimitParameters(Schema):
    limits = fields.List(fields.Nested(TimeLimit), required=True,
                         validate=validate.Length(min=1))


class LiabilityCapParameters(Schema):
    amount = Money(required=True)
    currency = Currency(required=True)
    rule = fields.String(required=True, validate=validate.OneOf([
        "fixed", "greater_of_amount_or_paid", "greater_of_amount_or_fees"]))
    paid_within = IsoDuration(allow_none=True, load_default=None)


class ContentLicenceParameters(Schema):
    covers_ai_training = StrictBool(required=True)


class AiTrainingParameters(Schema):
    trainer = fields.String(required=True, validate=validate.OneOf(["platform", "third-parties"]))
    models = _text(required=True)
    opt_out = StrictBool(required=True)
    # Null when the words do not name the setting: that is recorded as unknown.
    opt_out_setting = _text(allow_none=True, load_default=None)
    # What the opt-out reaches, in the platform's own words ("an underlying generative model").
    opt_out_scope = _text(allow_none=True, load_default=None)
    # Whether the words exclude protected (followers-only) posts; null: they do not say.
    protected_posts_excluded = StrictBool(allow_none=True, load_default=None)
    legal_basis_eu = fields.String(allow_none=True, load_default=None,
                                   validate=validate.OneOf(LEGAL_BASES))


class ProcessingPurpose(Schema):
    key = Slug(required=True)
    purpose = _text(required=True)  # the row's heading, exactly as printed
    includes = fields.List(_text(), load_default=list)
    data = fields.List(_text(), required=True, validate=validate.Length(min=1))
    legal_bases_eu = fields.List(fields.String(validate=validate.OneOf(LEGAL_BASES)),
                                 required=True, validate=validate.Length(min=1))
    legal_basis_words = fields.List(_text(), required=True, validate=validate.Length(min=1))
    # The review's purpose words this row bears on: the rules' reading, not the platform's.
    related_profile_purposes = fields.List(Slug(), load_default=list)


class ProcessingPurposesParameters(Schema):
    purposes = fields.List(fields.Nested(ProcessingPurpose), required=True,
                           validate=validate.Length(min=1))


class DataSharingSettingParameters(Schema):
    setting = _text(required=True)  # the setting's name, exactly as printed
    governs = _text(required=True)
    # Where the words make the setting a condition of the sharing.
    required_in = fields.List(Slug(), required=True)
    legal_basis_eu = fields.String(allow_none=True, load_default=None,
                                   validate=validate.OneOf(LEGAL_BASES))


class CollectionExclusionParameters(Schema):
    data = _text(required=True)  # the data category, as the platform names it
    not_collected_from = _text(required=True)  # in the platform's words
    # The product's regions the exclusion bears on (a part of them where the words name less).
    regions = fields.List(Slug(), required=True, validate=validate.Length(min=1))


class ModelTrainingBanParameters(Schema):
    scope = _text(required=True)
    applies_to = fields.List(fields.String(validate=validate.OneOf(["api", "content", "services"])),
                             required=True, validate=validate.Length(min=1))


class RetentionCategory(Schema):
    category = Slug(required=True)
    period = Period(required=True)
    quote = _text(required=True)


class RetentionScheduleParameters(Schema):
    categories = fields.List(fields.Nested(RetentionCategory), required=True,
                             validate=validate.Length(min=1))


class VerificationItem(Schema):
    data = Slug(required=True)
    period = Period(required=True)


class IdentityVerificationParameters(Schema):
    items = fields.List(fields.Nested(VerificationItem), required=True,
                        validate=validate.Length(min=1))
    processor = _text(allow_none=True, load_default=None)
    legal_basis_eu = _text(allow_none=True, load_default=None)


class Tier(Schema):
    name = _text(required=True)
    # Null price: the sources do not verify one (recorded as unknown, never guessed).
    monthly_price = Money(allow_none=True, required=True)
    currency = Currency(required=True)
    monthly_post_reads = StrictInt(allow_none=True, required=True, validate=validate.Range(min=0))
    monthly_post_reads_at_least = StrictBool(load_default=False)
    monthly_post_writes = StrictInt(allow_none=True, load_default=None)
    legacy = StrictBool(load_default=False)


class SubscriptionTiersParameters(Schema):
    tiers = fields.List(fields.Nested(Tier), required=True, validate=validate.Length(min=1))


class Rate(Schema):
    resource = Slug(required=True)
    price = Money(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["resource", "request"]))


class PayPerUseParameters(Schema):
    currency = Currency(required=True)
    # An empty list: the pay-per-use plan exists but its rates were not published.
    rates = fields.List(fields.Nested(Rate), required=True)
    monthly_post_read_cap = StrictInt(allow_none=True, required=True)
    deduplication = _text(allow_none=True, load_default=None)


class NoParameters(Schema):
    """Clauses kept for their words alone."""


KINDS: dict[str, type[Schema]] = {
    "liquidated-damages": LiquidatedDamagesParameters,
    "scraping-prohibition": ScrapingProhibitionParameters,
    "governing-law": GoverningLawParameters,
    "claims-time-limit": ClaimsTimeLimitParameters,
    "liability-cap": LiabilityCapParameters,
    "content-licence": ContentLicenceParameters,
    "ai-training": AiTrainingParameters,
    "model-training-ban": ModelTrainingBanParameters,
    "retention-schedule": RetentionScheduleParameters,
    "identity-verification": IdentityVerificationParameters,
    "subscription-tiers": SubscriptionTiersParameters,
    "pay-per-use": PayPerUseParameters,
    "processing-purposes": ProcessingPurposesParameters,
    "data-sharing-setting": DataSharingSettingParameters,
    "collection-exclusion": CollectionExclusionParameters,
    "text": NoParameters,
}
