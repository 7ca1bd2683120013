"""A replay sends a recorded message's images, audio and files back to the provider with its text, and the
image data is not in the search index."""

from __future__ import annotations

from tests.integration.test_replay import recorded_call, replay_server, use_fake_provider  # noqa: F401 - fixture
from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import uid

PIXELS = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
IMAGE = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXELS}"}}
AUDIO = {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZFZm10", "format": "wav"}}


def _found(client, words: str) -> set[str]:
    return {item["id"] for item in client.get("/api/v1/sessions", params={"q": words}).json()["items"]}


def test_a_replay_sends_the_recorded_images_and_audio_with_the_text(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    use_fake_provider(replay_server, fake_openai)
    sid = uid("s-")
    prompt = [
        {"role": "system", "text": "Describe what you are given."},
        {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}, IMAGE, AUDIO]},
        {"role": "user", "content": [{"type": "input_image", "image_url": IMAGE["image_url"]["url"], "detail": "low"}]},
    ]
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(client, prompt=prompt, session_id=sid)
        stored = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]["prompt"]
        assert stored[1] == {"role": "user", "text": "What is in this picture?", "content": [IMAGE, AUDIO]}
        answer = client.post(f"/api/v1/activities/{aid}/replay", json={})
        assert answer.status_code == 200, answer.text
        assert fake_openai.requests[-1]["messages"] == [
            {"role": "system", "content": "Describe what you are given."},
            {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}, IMAGE, AUDIO]},
            # the Responses API's image part, in the form of Chat Completions, which replay calls
            {"role": "user", "content": [{**IMAGE, "image_url": {**IMAGE["image_url"], "detail": "low"}}]},
        ]
        # edited messages are sent as they are given, their parts too
        edited = [{"role": "user", "content": [{"type": "text", "text": "And now?"}, IMAGE]}]
        assert client.post(f"/api/v1/activities/{aid}/replay", json={"messages": edited}).status_code == 200
        assert fake_openai.requests[-1]["messages"] == edited
        assert sid in _found(client, "picture")
        assert sid not in _found(client, PIXELS) and sid not in _found(client, "UklGRiQAAABXQVZFZm10")
