"""Destinations say what their publishers say: JPCERT/CC's number and form, each channel with its
source, and the recovery vendor lists of seed 003 wherever an infection is answered."""

from __future__ import annotations

from bot.content.loader import Content
from bot.content.models import Contact

VENDOR_LISTS = ("jnsa_emergency_response", "ipa_service_list")


def contact(content: Content, contact_id: str) -> Contact:
    assert content.contacts is not None
    return next(c for c in content.contacts.contacts if c.id == contact_id)


def test_jpcert_cc_has_its_published_number_and_web_form_each_with_a_source(content: Content) -> None:
    jpcert = contact(content, "jpcert_cc")
    by_kind = {c.kind: c for c in jpcert.channels}
    assert by_kind["phone"].value == "03-6271-8901"  # seed 003's slide body and jpcert.or.jp's footer
    assert by_kind["form"].value == "https://www.jpcert.or.jp/form/"
    assert all(c.source for c in jpcert.channels), [c.value for c in jpcert.channels if not c.source]
    assert "seed:003" in (by_kind["phone"].source or "") and "jpcert.or.jp" in (by_kind["phone"].source or "")


def test_every_malware_and_ransomware_leaf_of_the_quick_list_names_the_vendor_lists(content: Content) -> None:
    tree = content.response.triage
    assert tree is not None
    leaves = [
        node for node in tree.nodes.values()
        if node.outcome is not None and node.outcome.playbook in ("malware", "ransomware")
    ]
    assert {n.outcome.playbook for n in leaves if n.outcome} == {"malware", "ransomware"}
    missing = [n.id for n in leaves if n.outcome and not set(VENDOR_LISTS) <= set(n.outcome.contacts)]
    assert missing == []
