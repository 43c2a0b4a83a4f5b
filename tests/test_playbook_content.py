"""Playbooks say what their sources say: a step a source recommends only "必要に応じて" keeps that
qualifier, and the malware playbook carries the steps of the Tokyo portal's Emotet page."""

from __future__ import annotations

import pytest

from bot.content.loader import Content

QUALIFIER = "必要に応じて"


def test_a_step_its_source_qualifies_keeps_the_qualifier(content: Content) -> None:
    qualified = [
        (playbook.id, step.id)
        for playbook in content.response.playbooks.values()
        for step in playbook.steps
        if f"({QUALIFIER}" in (step.source or "")
    ]
    assert qualified, "no step cites a qualified recommendation: the test would prove nothing"
    missing = [
        ref for ref in qualified
        if QUALIFIER not in content.response.playbooks[ref[0]].steps[[s.id for s in content.response.playbooks[ref[0]].steps].index(ref[1])].text.ja
    ]
    assert missing == []


@pytest.mark.parametrize("step", ["emocheck", "tell_partners", "prevent_recurrence"])
def test_the_malware_playbook_checks_every_pc_tells_partners_and_ends_with_lasting_measures(content: Content, step: str) -> None:
    steps = [s.id for s in content.response.playbooks["malware"].steps]
    assert step in steps
    assert steps[-1] == "prevent_recurrence"


def test_user_data_is_backed_up_before_re_initialising(content: Content) -> None:
    step = next(s for s in content.response.playbooks["malware"].steps if s.id == "reinitialise")
    assert "バックアップ" in step.text.ja and "back up" in step.text.en


NEWS_SITES = ("netsecurity.ne.jp", "security-next.com", "impress.co.jp")


def test_no_playbook_cites_a_news_site(content: Content) -> None:
    # A news report is not an authority: steps cite the publisher (NISC, the police, JPCERT/CC, IPA).
    sources = [
        source for playbook in content.response.playbooks.values()
        for source in [playbook.source, *(step.source for step in playbook.steps)] if source
    ]
    assert sources
    assert [s for s in sources if any(site in s for site in NEWS_SITES)] == []


def test_the_spam_centre_leads_with_the_page_for_the_common_case(content: Content) -> None:
    # Its infoform.html is only for advertising sent after an opt-out (the form's own heading).
    assert content.contacts is not None
    channels = next(c for c in content.contacts.contacts if c.id == "dekyo_meiwaku").channels
    assert channels[0].value.endswith("/ihan/index.html")
    form = next(c for c in channels if c.value.endswith("infoform.html"))
    assert "受信拒否" in form.label.ja and "refused" in form.label.en


@pytest.mark.parametrize("playbook", ["malware", "ransomware"])
def test_recovery_vendor_lists_of_seed_003_are_on_the_infection_playbooks(content: Content, playbook: str) -> None:
    contacts = content.response.playbooks[playbook].contacts
    assert "jnsa_emergency_response" in contacts and "ipa_service_list" in contacts
    assert content.contacts is not None
    ipa = next(c for c in content.contacts.contacts if c.id == "ipa_service_list")
    assert [c.value for c in ipa.channels] == ["https://www.ipa.go.jp/security/service_list.html"]  # moved from /it-service/


def test_an_incident_category_is_routed_to_its_playbooks_contacts(content: Content) -> None:
    # Review finding: content/incident.yaml kept a second list per category that drifted from the playbook's.
    routed = {name: route for name, route in content.response.incident.categories.items() if route.playbook}
    assert routed
    for name, route in routed.items():
        assert route.contacts == content.response.playbooks[route.playbook].contacts, name
