"""The consultation quick list (content/triage.yaml) walked in full, and on the console."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.content.loader import Content, check_content
from bot.content.models import Outcome, TriageNode
from tests.conftest import Convo, add_company

QUICK_LIST = [
    "PCやスマホの調子が悪い", "インターネットの調子が悪い", "セキュリティ上の問題ではないが相談したい",
    "セキュリティ上の問題の可能性がある", "セキュリティ侵害が発生している", "犯罪の可能性・サイバー犯罪の届出",
    "フィッシング詐欺", "迷惑メールが送られてきた", "なりすましECサイトを作られた?",
    "インターネット上の違法・有害情報を発見した",
]


def walk(content: Content) -> Iterator[tuple[list[str], Outcome]]:
    """Every path from the start to a leaf: (option labels, outcome)."""
    tree = content.response.triage
    assert tree is not None

    def go(node: TriageNode, trail: list[str]) -> Iterator[tuple[list[str], Outcome]]:
        if node.outcome is not None:
            yield trail, node.outcome
            return
        for option in node.options or ():
            yield from go(tree.nodes[option.next], [*trail, option.label.ja])

    yield from go(tree.nodes[tree.tree.start], [])


def test_first_question_offers_the_quick_list(content: Content) -> None:
    tree = content.response.triage
    assert tree is not None
    first = tree.nodes[tree.tree.start]
    assert first.text is not None and first.text.ja == "どうしましたか？"
    assert [o.label.ja for o in first.options or ()] == QUICK_LIST


def test_every_path_ends_at_a_destination_with_a_source(content: Content) -> None:
    contacts = {c.id: c for c in content.contacts.contacts}  # type: ignore[union-attr]
    paths = list(walk(content))
    assert len(paths) >= len(QUICK_LIST)
    for trail, outcome in paths:
        assert outcome.contacts, trail
        assert len(trail) <= 4, trail  # a person in a hurry answers at most a few questions
        for contact_id in outcome.contacts:
            contact = contacts[contact_id]
            assert contact.source.startswith(("http", "seed:")), contact_id
            assert contact.generic or contact.channels, contact_id
        if outcome.playbook:
            assert outcome.playbook in content.response.playbooks
        # public destinations exist on every path, so unregistered people get somewhere too
        assert any(contacts[c].public for c in outcome.contacts), trail


def test_public_contact_points_come_from_the_destinations_own_sites(content: Content) -> None:
    """No invented numbers: every web channel is on the destination's own domain or a public one."""
    for contact in content.contacts.contacts:  # type: ignore[union-attr]
        for channel in contact.channels:
            if channel.kind in ("web", "form"):
                assert channel.value.startswith("https://"), (contact.id, channel.value)
    jpcert = next(c for c in content.contacts.contacts if c.id == "jpcert_cc")  # type: ignore[union-attr]
    assert all("jpcert.or.jp" in ch.value for ch in jpcert.channels if ch.kind != "phone")
    # of the seed's two phone numbers, only the one JPCERT/CC's own pages print (their footer)
    assert [ch.value for ch in jpcert.channels if ch.kind == "phone"] == ["03-6271-8901"]


async def test_emotet_like_mails_on_the_console(convo: Convo) -> None:
    """Our address sends Word attachments: isolate the PC and change that mail password first,
    JPCERT/CC with its own contact points, then a report with a severity and a timeline."""
    code = await add_company(convo.runtime, "株式会社サンプル", "csirt")
    await convo.send(f"/start {code}")
    await convo.send("/soudan")
    assert "どうしましたか？" in convo.text
    await convo.send("5")  # セキュリティ侵害が発生している
    labels = [c.label for c in convo.question.options]  # type: ignore[union-attr]
    emotet = next(i for i, label in enumerate(labels, 1) if "Word" in label)
    await convo.send(str(emotet))
    await convo.send("1")  # one PC only
    leaf = convo.replies[0]
    steps = leaf.text.split("【今すぐやること】")[1]
    first, second = [line for line in steps.strip().splitlines()][:2]
    assert "隔離" in first or "切り離" in first or "ネットワーク" in first
    assert "パスワード" in second and "メール" in second
    assert convo.key() == "_offer"
    await convo.send("", choice="show:contacts", reply_to=leaf.question_ref)  # the leaf's 「連絡先」
    assert "JPCERT/CC" in convo.text and "https://www.jpcert.or.jp/form/" in convo.text
    await convo.send("はい")  # the offer still waits for its answer
    convo.expect("what")  # the category came from the walk; what happened is asked in own words
    assert "ご自身の言葉で" in convo.text
    await convo.send("経理のPCで請求書のWordを開いたらマクロの警告が出た")
    convo.expect("impact")
    await convo.send("業務が止まっている")
    await convo.send("広がっていない")
    assert "INC-2026-0001" in convo.text and "緊急" in convo.text
    await convo.send("/incident show INC-2026-0001")
    assert "【経過】" in convo.text and "受付" in convo.text
    assert "概要: 経理のPCで請求書のWordを開いたらマクロの警告が出た" in convo.text  # their words
    assert "相談窓口の案内での選択: " in convo.text  # and the path, as context


async def test_unregistered_people_get_public_destinations_only(convo: Convo) -> None:
    await convo.send("相談")  # the word works like /soudan
    assert "どうしましたか？" in convo.text
    await convo.send("セキュリティ侵害が発生している")
    labels = [c.label for c in convo.question.options]  # type: ignore[union-attr]
    await convo.send(str(next(i for i, label in enumerate(labels, 1) if "暗号化" in label)))
    assert "登録" in convo.text and convo.key() is None  # offered registration, not a report
    await convo.send("", choice="show:contacts", reply_to=convo.replies[0].question_ref)
    text = convo.text
    assert "050-4560-7553" not in text  # the programme desk is for participants
    assert "警察" in text


async def test_back_and_cancel_in_the_walk(convo: Convo) -> None:
    await convo.send("/soudan")
    await convo.send("1")
    first_follow_up = convo.key()
    await convo.send("戻る")
    assert convo.key() is not None and convo.key() != first_follow_up
    await convo.send("やめる")
    assert "/soudan" in convo.text


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("playbooks/malware.yaml", "contacts: [", "contacts: [nowhere_desk, "), "unknown contact 'nowhere_desk'"),
        (("triage.yaml", "playbook: malware", "playbook: no_such_playbook"), "unknown playbook 'no_such_playbook'"),
        (("incident.yaml", "playbook: ransomware\n", "playbook: gone\n"), "unknown playbook 'gone'"),
        # a category with a playbook takes the playbook's contacts: a second list is refused
        (("incident.yaml", "    playbook: malware\n", "    playbook: malware\n    contacts: [own_csirt]\n"), "takes the playbook's contacts"),
        # a misspelt next: that breaks the id pattern is still named as the node it does not find
        (("triage.yaml", "next: pc_symptom", "next: pc-sympton"), "unknown node 'pc-sympton'"),
    ],
)
def test_content_check_fails_on_dangling_references(tmp_path: Path, edit: tuple[str, str, str], problem: str) -> None:
    copy = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", copy)
    name, old, new = edit
    path = copy / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    issues = [str(i) for i in check_content(copy)]
    assert any(problem in i and name.split("/")[-1] in i for i in issues), issues


def _path_to(content: Content, leaf_id: str) -> list[str] | None:
    tree = content.response.triage
    assert tree is not None
    target = tree.nodes[leaf_id].outcome
    return next((labels for labels, outcome in walk(content) if outcome is target), None)


@pytest.mark.parametrize(
    ("leaf", "first_label"),
    [
        ("leaf_bec", "フィッシング詐欺"),  # the portal groups BEC with phishing (CHECK4-01)
        ("leaf_extortion_mail", "迷惑メールが送られてきた"),  # CHECK4-02 自分のメールアドレス等からの脅迫メール
        ("leaf_emotet_reported", "セキュリティ上の問題の可能性がある"),
        # the portal's quick list sends 「問題ではないが相談したい」 to IT-service and rights desks (CHECK3)
        ("leaf_it_service_trouble", "セキュリティ上の問題ではないが相談したい"),
        ("leaf_rights_infringement", "セキュリティ上の問題ではないが相談したい"),
    ],
)
def test_situations_of_the_portals_quick_list_are_reachable(content: Content, leaf: str, first_label: str) -> None:
    # Review finding: business e-mail compromise and the extortion mail "from your own address" were
    # missing; a partner's report of odd mail from us had only "isolate that PC".
    path = _path_to(content, leaf)
    assert path is not None and path[0] == first_label


def test_a_partners_report_checks_every_pc_before_isolating_any(content: Content) -> None:
    tree = content.response.triage
    assert tree is not None
    outcome = tree.nodes["leaf_emotet_reported"].outcome
    assert outcome is not None
    first = outcome.first_steps[0].ja
    assert "全PC" in first and "切り離す" not in first
    assert any("取引先" in step.ja and "チェック" in step.ja for step in outcome.first_steps)


def test_a_bec_leaf_says_to_confirm_outside_e_mail_and_recall_a_transfer(content: Content) -> None:
    tree = content.response.triage
    assert tree is not None
    outcome = tree.nodes["leaf_bec"].outcome
    assert outcome is not None and outcome.urgent
    steps = " ".join(step.ja for step in outcome.first_steps)
    assert "メール以外の方法" in steps and "組戻し" in steps


def test_every_contact_defined_is_shown_somewhere(content: Content) -> None:
    # Review finding: ipa_anshin was defined and never shown (its place: the fake-warning leaf).
    tree = content.response.triage
    assert tree is not None and content.contacts is not None
    shown = {c for _, outcome in walk(content) for c in outcome.contacts}
    shown |= {c for playbook in content.response.playbooks.values() for c in playbook.contacts}
    shown |= {c for category in content.response.incident.categories.values() for c in category.contacts}
    programme = content.response.programme
    if programme is not None:
        shown.add(programme.desk.contact)
    assert {c.id for c in content.contacts.contacts} - shown == set()
    assert "ipa_anshin" in tree.nodes["leaf_fake_warning"].outcome.contacts  # type: ignore[union-attr]
