"""Every request model of the native API, field by field: a NUL in a name, a label, an id, an e-mail or a
token is refused (`string_nul`, naming the field), after the field's own bounds; one in free text becomes
U+FFFD. (The endpoints behind the public forms and the operator's are here; tests/integration has the rest
over HTTP on both databases.)"""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from promptwatch.schema.datasets import DatasetCreate, DatasetItemCreate, DatasetItemFromActivity, DatasetUpdate
from promptwatch.schema.prompt_loop import AnnotationIn, LabelMove, ProviderConfigIn, ReplayCreate, TemplateCreate
from promptwatch.server.api.accounts import KeyCreate, LoginIn
from promptwatch.server.api.billing import BillingUpdate, ProfileUpdate
from promptwatch.server.api.lifecycle import RetentionPolicy, TimeRangeDeletion
from promptwatch.server.api.members import InvitationAccept, InvitationCreate, MemberUpdate
from promptwatch.server.api.operator import Broadcast, PlanSet, PolicyAnnounce
from promptwatch.server.api.prices import OverrideCreate, PriceUnpriced
from promptwatch.server.api.redaction import CustomPattern
from promptwatch.server.api.sharing import ShareLinkCreate
from promptwatch.server.api.signup import ResetConfirm, ResetRequest, SignUp, TokenIn, WaitlistJoin
from promptwatch.server.api.support_access import GrantCreate
from promptwatch.server.api.usage_stats import FeatureUse, PageView

NUL = "abcde\u0000fghij"  # within every bound (a token has 10 characters at least)
EMAIL = "a@example.test"

# (model, a valid body without the field, the field, where the error is)
NAMES: list[tuple[type[BaseModel], dict, str, tuple]] = [
    (LoginIn, {"password": "pw"}, "email", ("email",)),
    (KeyCreate, {}, "name", ("name",)),
    (KeyCreate, {}, "project", ("project",)),
    (ProfileUpdate, {}, "name", ("name",)),
    (ProfileUpdate, {}, "company", ("company",)),
    (ProfileUpdate, {}, "contact_email", ("contact_email",)),
    (BillingUpdate, {}, "billing_name", ("billing_name",)),
    (BillingUpdate, {}, "vat_id", ("vat_id",)),
    (BillingUpdate, {}, "billing_email", ("billing_email",)),
    (TimeRangeDeletion, {}, "project", ("project",)),
    (RetentionPolicy, {}, "project", ("project",)),
    (InvitationCreate, {}, "email", ("email",)),
    (InvitationAccept, {}, "token", ("token",)),
    (PlanSet, {}, "plan", ("plan",)),
    (OverrideCreate, {"input_per_mtok": 1, "output_per_mtok": 1}, "model", ("model",)),
    (PriceUnpriced, {}, "model", ("model",)),
    (CustomPattern, {"name": "mine"}, "pattern", ("pattern",)),
    (ShareLinkCreate, {}, "object_id", ("object_id",)),
    (WaitlistJoin, {"email": EMAIL, "consent": True}, "name", ("name",)),
    (WaitlistJoin, {"email": EMAIL, "consent": True}, "organisation", ("organisation",)),
    (WaitlistJoin, {"email": EMAIL, "consent": True}, "source", ("source",)),
    (WaitlistJoin, {"consent": True}, "email", ("email",)),
    (SignUp, {"password": "pw", "account_name": "acme"}, "email", ("email",)),
    (SignUp, {"email": EMAIL, "password": "pw"}, "account_name", ("account_name",)),
    (SignUp, {"email": EMAIL, "password": "pw", "account_name": "acme"}, "referral_code", ("referral_code",)),
    (TokenIn, {}, "token", ("token",)),
    (ResetRequest, {}, "email", ("email",)),
    (ResetConfirm, {"password": "pw"}, "token", ("token",)),
    (PageView, {}, "path", ("path",)),
    (FeatureUse, {}, "feature", ("feature",)),
    (DatasetCreate, {"name": "ds"}, "project", ("project",)),
    (DatasetItemCreate, {"input": 1}, "source_session_id", ("source_session_id",)),
    (DatasetItemCreate, {"input": 1}, "source_activity_id", ("source_activity_id",)),
    (DatasetItemFromActivity, {}, "activity_id", ("activity_id",)),
    (TemplateCreate, {"template": "Hi {x}"}, "version", ("version",)),
    (TemplateCreate, {"template": "Hi {x}"}, "format", ("format",)),
    (LabelMove, {}, "version", ("version",)),
    (ProviderConfigIn, {}, "base_url", ("base_url",)),
    (ProviderConfigIn, {"base_url": "https://example.test"}, "api_key", ("api_key",)),
    (ProviderConfigIn, {"base_url": "https://example.test"}, "default_model", ("default_model",)),
    (ReplayCreate, {}, "provider", ("provider",)),
    (ReplayCreate, {}, "model", ("model",)),
]
LISTS = [  # fields holding a list of names
    (InvitationCreate, {"email": EMAIL}, "projects", ("projects", 1)),
    (MemberUpdate, {}, "projects", ("projects", 1)),
    (GrantCreate, {"reason": "ticket 7"}, "session_ids", ("session_ids", 1)),
    (TemplateCreate, {"template": "Hi {x}"}, "input_params", ("input_params", 1)),
]
FREE_TEXT = [
    (ProfileUpdate, {}, "address"),
    (BillingUpdate, {}, "billing_address"),
    (GrantCreate, {}, "reason"),
    (PolicyAnnounce, {"kind": "terms", "body": "b", "effective_date": "2026-01-01"}, "title"),
    (PolicyAnnounce, {"kind": "terms", "title": "t", "effective_date": "2026-01-01"}, "body"),
    (Broadcast, {"category": "promotions", "body": "b"}, "subject"),
    (Broadcast, {"category": "promotions", "subject": "s"}, "body"),
    (AnnotationIn, {}, "notes"),
    (DatasetCreate, {"name": "ds"}, "description"),
    (DatasetUpdate, {}, "description"),
    (DatasetItemCreate, {"input": 1}, "notes"),
    (DatasetItemFromActivity, {"activity_id": "a"}, "notes"),
]


def _errors(model: type[BaseModel], body: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [(e["loc"], e["type"]) for e in refused.value.errors()]


@pytest.mark.parametrize(("model", "body", "field", "loc"), NAMES, ids=[f"{m.__name__}.{f}" for m, _, f, _ in NAMES])
def test_a_nul_in_a_name_is_refused_naming_the_field(model, body, field, loc):
    assert _errors(model, {**body, field: NUL}) == [(loc, "string_nul")]


@pytest.mark.parametrize(("model", "body", "field", "loc"), LISTS, ids=[f"{m.__name__}.{f}" for m, _, f, _ in LISTS])
def test_a_nul_in_a_list_of_names_is_refused_naming_the_item(model, body, field, loc):
    assert _errors(model, {**body, field: ["ok", NUL]}) == [(loc, "string_nul")]


@pytest.mark.parametrize(("model", "body", "field"), FREE_TEXT, ids=[f"{m.__name__}.{f}" for m, _, f in FREE_TEXT])
def test_a_nul_in_free_text_becomes_a_replacement_character(model, body, field):
    assert getattr(model.model_validate({**body, field: NUL}), field) == "abcde\ufffdfghij"


def test_a_fields_own_bounds_are_checked_first():
    assert _errors(KeyCreate, {"name": NUL * 100}) == [(("name",), "string_too_long")]
    assert _errors(LabelMove, {"version": ""}) == [(("version",), "string_too_short")]
