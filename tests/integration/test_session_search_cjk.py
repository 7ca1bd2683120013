"""The session list's text search finds part of a sentence in Chinese or Japanese, written without spaces: a run
of such characters is indexed as its pairs of neighbouring characters, and the user's words are asked the same
way; a deletion or a re-sent copy leaves the index holding exactly the words of what is stored."""

from __future__ import annotations

import secrets

from tests.support.payloads import llm, session, uid

from .test_session_search_errors import deleted_leaves_no_word, ids, indexed, ingest


def han(count: int) -> str:
    """Ideographs drawn at random: words no other test writes, so the index's rows for them are this test's."""
    return "".join(chr(0x4E00 + secrets.randbelow(0x5000)) for _ in range(count))


def test_chinese_and_japanese_sentences_are_found_by_their_parts(live_server, client):
    project, rare = uid("proj-"), han(4)
    chinese, japanese, mixed, english = uid("s-"), uid("s-"), uid("s-"), uid("s-")
    ingest(
        client,
        [session(sid, tracking_project=project) for sid in (chinese, japanese, mixed, english)],
        [
            llm(uid("a-"), chinese, prompt=f"我住在东京大学附近{rare}。", generated="好的"),
            llm(uid("a-"), japanese, prompt="東京タワーに行きたいです", generated="はい、わかりました。"),
            llm(uid("a-"), mixed, prompt="GPT模型很好用", generated="OK"),
            llm(uid("a-"), english, prompt="Tokyo university", generated="OK"),
        ],
    )
    found = {
        "东京": [chinese],  # two characters of a sentence
        "东京大学": [chinese],  # four
        rare[1:3]: [chinese],
        f"附近{rare}": [chinese],
        "住在 大学": [chinese],
        "学": [chinese],  # one character: wherever it stands
        "近": [chinese],
        "タワー": [japanese],
        "東京タワー": [japanese],
        "行き": [japanese],
        "わかりました": [japanese],
        "す": [japanese],
        "模型": [mixed],
        "GPT模型": [mixed],
        "gpt 模型": [mixed],
        "GPT模": [mixed],
        "tokyo": [english],
    }
    for q, expected in found.items():
        assert ids(client, project=project, q=q) == expected, q
    assert set(ids(client, project=project, q="京")) == {chinese, japanese}
    for q in ("京都", "大东京", "东京タワー", "大阪", "型模", "GPT大学", "我住在东京大学附近"[::-1]):
        assert ids(client, project=project, q=q) == [], q  # pairs the sentences do not hold
    deleted_leaves_no_word(client, live_server, chinese, rare[:2], rare[1:3], rare[2:], rare[3])


def test_a_re_sent_copy_in_chinese_updates_the_index(live_server, client):
    project, asked, first, second = uid("proj-"), han(3), han(3), han(3)
    sid, aid = uid("s-"), uid("a-")
    ingest(client, [session(sid, tracking_project=project)], [llm(aid, sid, prompt=asked, closed=False)])
    ingest(client, activities=[llm(aid, sid, prompt=asked, generated=f"GPT答{first}")])
    assert ids(client, project=project, q=first) == [sid] == ids(client, project=project, q=f"{asked}gpt")
    ingest(client, activities=[llm(aid, sid, prompt=asked, seconds=5, generated=second)])
    assert ids(client, project=project, q=second) == [sid] and ids(client, project=project, q=first) == []
    assert indexed(live_server, first[:2]) == indexed(live_server, f"答{first[0]}") == set()
    deleted_leaves_no_word(client, live_server, sid, asked[:2], asked[2], second[1:])
