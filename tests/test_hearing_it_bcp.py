"""The IT-BCP course's hearing (issue 18 point 7): every topic its plan needs is asked, every item
says where it comes from, and a person can answer the whole flow on the console."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.loader import load_content
from bot.content.models import Group, Question
from bot.content.yamlio import load_yaml
from bot.engine.flow import CompiledFlow
from bot.reports import hearing
from bot.store import repo
from tests.conftest import Convo
from tests.test_hearing_console import answer_all, register

CONTENT = PROJECT_ROOT / "content"
IT_BCP = CONTENT / "hearing" / "parts" / "it_bcp.yaml"
SOURCES = CONTENT / "SOURCES-hearing.md"

# Point 7's topics, each with the question (or group) ids that ask it. Some live in the common and
# incident_info parts, which the IT-BCP flow reuses rather than asking twice.
TOPICS: dict[str, list[str]] = {
    "stakeholders": ["departments", "incident_decision_maker", "security_team", "external_stakeholders"],
    "documents": ["doc_org_chart", "doc_network", "doc_asset_inventory", "doc_dr_bcp", "doc_incident_plan"],
    "past_incidents": ["past_incident", "past_incidents"],
    "crisis_events": ["crisis_events"],
    "owner_and_recovery_decision": ["bcp_owner", "recovery_decision_maker"],
    "key_systems_and_vendors": ["key_system_list", "system_name", "system_vendor", "system_vendor_reach"],
    "backup_and_restore": ["backup", "backup_offline", "backup_restore_test"],
    "key_processes_impact_rto_rpo": ["business_processes", "process_impact", "process_rto", "process_rpo"],
    "workarounds_per_process": ["process_alternatives", "alt_means"],
    "emergency_communication": ["staff_contact_list", "emergency_means", "customer_notice"],
    "alternative_site_and_equipment": ["alt_site", "alt_equipment"],
    "training_and_review": ["bcp_training", "bcp_review"],
}


def items_of(flow: CompiledFlow) -> dict[str, Question | Group]:
    """Every question and group of the flow by id, group members included."""
    found: dict[str, Question | Group] = {}
    for section in flow.sections:
        for item in section.items:
            found[item.id] = item
            if isinstance(item, Group):
                found.update((q.id, q) for q in item.items)
    return found


def missing_topics(flow: CompiledFlow) -> dict[str, list[str]]:
    present = items_of(flow)
    gaps = {topic: [i for i in ids if i not in present] for topic, ids in TOPICS.items()}
    return {topic: ids for topic, ids in gaps.items() if ids}


def it_bcp_flow(directory: Path = CONTENT) -> CompiledFlow:
    flow = load_content(directory).hearing_flow("it-bcp")
    assert flow is not None
    return flow


def test_every_topic_of_point_7_is_asked_in_the_it_bcp_flow() -> None:
    assert missing_topics(it_bcp_flow()) == {}


def section_ids() -> list[str]:
    return [section["id"] for section in load_yaml(IT_BCP)["sections"]]


@pytest.mark.parametrize("section_id", section_ids())
def test_removing_any_section_of_the_it_bcp_part_leaves_a_topic_uncovered(tmp_path: Path, section_id: str) -> None:
    # The coverage check is not vacuous: each section of the part carries a topic nobody else asks.
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    path = copy / "hearing" / "parts" / "it_bcp.yaml"
    data = load_yaml(path)
    data["sections"] = [s for s in data["sections"] if s["id"] != section_id]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # The document drafts read these questions too and would refuse the copy first: this test is
    # about the hearing's coverage alone (tests/test_drafts_content.py checks the drafts' ids).
    shutil.rmtree(copy / "drafts")
    assert missing_topics(it_bcp_flow(copy)) != {}


def test_the_things_that_repeat_are_repeating_groups() -> None:
    items = items_of(it_bcp_flow())
    members = {
        "business_processes": {"process_name": "text", "process_impact": "scale", "process_rto": "duration", "process_rpo": "duration"},
        "key_system_list": {"system_name": "text", "system_vendor": "text", "system_vendor_reach": "multi_choice"},
        "process_alternatives": {"alt_process": "text", "alt_means": "multi_choice"},
    }
    for group_id, expected in members.items():
        group = items[group_id]
        assert isinstance(group, Group), group_id
        assert {q.id: q.type for q in group.items if q.id in expected} == expected


def test_choices_of_the_it_bcp_part_offer_dont_know() -> None:
    # An employee, not an expert, answers: every single choice of this part can say 分からない.
    flow = it_bcp_flow()
    part_ids = {item_id for item_id in items_of(flow) if f"id: {item_id}\n" in IT_BCP.read_text(encoding="utf-8")}
    choices = [q for i, q in items_of(flow).items() if i in part_ids and isinstance(q, Question) and q.type in ("choice", "multi_choice")]
    assert len(choices) >= 20
    lacking = [q.id for q in choices if not any(o.label.ja == "分からない" for o in q.options or [])]
    assert lacking == []


def test_every_item_of_the_it_bcp_flow_has_a_source() -> None:
    flow = it_bcp_flow()
    assert all(section.source for section in flow.sections)
    unsourced = [item_id for item_id, item in items_of(flow).items() if not (item.source or "").strip()]
    assert unsourced == []


def _sources(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [str(v) for k, v in data.items() if k == "source"] + [s for v in data.values() for s in _sources(v)]
    if isinstance(data, list):
        return [s for v in data for s in _sources(v)]
    return []


def test_sources_of_the_it_bcp_part_are_the_seed_or_pages_listed_in_sources_hearing() -> None:
    listed = SOURCES.read_text(encoding="utf-8")
    sources = _sources(load_yaml(IT_BCP))
    assert sources
    for source in sources:
        urls = re.findall(r"https?://\S+", source)
        assert urls or source.startswith("seed:000 "), source
        for url in urls:
            assert url in listed, f"{url} is cited but not described in SOURCES-hearing.md"


async def test_the_it_bcp_hearing_answered_end_to_end_on_the_console(convo: Convo) -> None:
    await register(convo, "it-bcp")
    await convo.send("/hearing")
    assert "ヒアリングシート（IT-BCP策定コース）" in convo.text
    asked = await answer_all(convo, "ja", entries=2)
    assert "回答がそろいました" in convo.text
    # both new groups were asked twice, with the vendor questions the first answers lead to
    for key in ("key_system_list[2].system_vendor_contact_kept", "process_alternatives[2].alt_ready",
                "business_processes[2].process_rpo", "crisis_events", "bcp_review", "alt_network"):
        assert key in asked, key
    assert asked.index("doc_dr_bcp") < asked.index("bcp_covers_it")

    async with convo.runtime.sessions() as session:
        company = await repo.company_by_name(session, "株式会社サンプル")
        assert company is not None
        report = await hearing.company_report(session, convo.runtime.content, company, "ja")
    assert report is not None
    tables = {table.title: table for table in report.tables}
    impact = next(t for title, t in tables.items() if "重要業務ごとの影響・RTO・RPO" in title)
    assert any(c.title.startswith("RTO（復旧時間目標）") for c in impact.columns) and len(impact.rows) == 2
    vendors = next(t for title, t in tables.items() if "重要なシステムと業者の連絡先" in title)
    assert [c.title for c in vendors.columns[:3]] == ["システム", "保守・運用", "業者名"] and len(vendors.rows) == 2
    assert vendors.rows[0][:2] == ["販売管理システム", "外部の業者（ITベンダー・保守会社）"]
    assert any("重要業務ごとの代替手段" in title for title in tables)
