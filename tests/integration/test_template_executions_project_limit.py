"""A project-limited credential reads a template's calls and their stats of its own project only, as it reads
sessions and calls: the template and its versions belong to the whole account, the calls to their project."""

from __future__ import annotations

from tests.support.payloads import llm, session, uid


def _call(aid: str, sid: str, template: str, tokens: int) -> dict:
    ref = {"prompt_template": "hi {x}", "template_name": template}
    return llm(aid, sid, prompt_template=ref, prompt_input_values={"x": "secret"}, usage={"total_tokens": tokens})


def _calls_in_two_projects(live_server, tenant, template: str) -> tuple[str, str]:
    """One call of `template` in project blog, one in shop; their ids."""
    blog_sid, shop_sid, blog_call, shop_call = uid("s-"), uid("s-"), uid("a-"), uid("a-")
    owner_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(owner_key) as owner:
        stored = owner.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(blog_sid, tracking_project="blog"), session(shop_sid, tracking_project="shop")],
                "activities": [_call(blog_call, blog_sid, template, 10), _call(shop_call, shop_sid, template, 25)],
            },
        )
        assert stored.json()["stored"] == 4, stored.text
        everything = owner.get(f"/api/v1/templates/{template}/versions/1.0.0/executions").json()["items"]
        assert {item["id"] for item in everything} == {blog_call, shop_call}  # an account-wide key sees both
        assert owner.get(f"/api/v1/templates/{template}").json()["versions"][0]["stats"]["calls"] == 2
    return blog_call, shop_call


def test_a_project_limited_key_lists_only_its_projects_executions(live_server):
    tenant = live_server.new_tenant("tpl-exec-limit")
    template = uid("tpl-")
    _, shop_call = _calls_in_two_projects(live_server, tenant, template)
    shop_key = live_server.accounts()._rt.keys.create(tenant.account_id, "ingest", project="shop")
    with live_server.client(shop_key) as shop:
        listed = shop.get(f"/api/v1/templates/{template}/versions/1.0.0/executions")
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == [shop_call]
    empty_key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="no-calls-here")
    with live_server.client(empty_key) as other:
        listed = other.get(f"/api/v1/templates/{template}/versions/1.0.0/executions")
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []


def test_a_project_limited_key_sees_stats_of_its_projects_calls_only(live_server):
    tenant = live_server.new_tenant("tpl-stats-limit")
    template = uid("tpl-")
    _calls_in_two_projects(live_server, tenant, template)
    shop_key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="shop")
    with live_server.client(shop_key) as shop:
        template_stats = shop.get(f"/api/v1/templates/{template}").json()["versions"][0]["stats"]
        version_stats = shop.get(f"/api/v1/templates/{template}/versions/1.0.0").json()["stats"]
    for stats in (template_stats, version_stats):
        assert (stats["calls"], stats["total_tokens"]) == (1, 25), stats
    empty_key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="no-calls-here")
    with live_server.client(empty_key) as other:
        assert other.get(f"/api/v1/templates/{template}").json()["versions"][0]["stats"]["calls"] == 0
        assert other.get(f"/api/v1/templates/{template}/versions/1.0.0").json()["stats"]["calls"] == 0
