"""Company names on the CLI: compared after NFKC (half-width kana, full-width letters and spaces are
the same name), stored as typed, empty and overlong names refused, and a mistyped name answered
with the closest registered ones."""

from __future__ import annotations

from bot.store.names import MAX_NAME, closest, name_key


def test_names_compare_after_nfkc() -> None:
    assert name_key("株式会社ｻﾝﾌﾟﾙ") == name_key("株式会社サンプル")
    assert name_key("  ＡＢＣ　商事 ") == name_key("abc 商事")
    assert name_key("株式会社サンプル") != name_key("株式会社サンプリ")


def test_closest_names_skip_what_only_shares_the_legal_form() -> None:
    names = ["株式会社サンプル", "株式会社テスト", "A社"]
    assert closest("株式会社サンプリ", names) == ["株式会社サンプル"]
    assert closest("C社", names) == []


def test_the_cli_keeps_one_company_per_name(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("company", "add", "株式会社サンプル", "--course", "csirt").returncode == 0
    twin = run_cli("company", "add", "株式会社ｻﾝﾌﾟﾙ", "--course", "csirt")
    assert twin.returncode == 2 and "すでに「株式会社サンプル」として登録" in twin.stderr, twin.stderr
    for empty in ("", "   ", "　"):
        refused = run_cli("company", "add", empty, "--course", "csirt")
        assert refused.returncode == 2 and "企業名が空" in refused.stderr, (empty, refused.stderr)
    long = run_cli("company", "add", "社" * (MAX_NAME + 1), "--course", "csirt", env={"HELPDESK_LANG": "en"})
    assert long.returncode == 2 and f"at most {MAX_NAME} characters" in long.stderr, long.stderr
    assert run_cli("company", "list").stdout.strip().splitlines() == ["株式会社サンプル\tcsirt"]

    # the half-width spelling finds the company; a typo is answered with the name it likely meant
    added = run_cli("visit", "add", "株式会社ｻﾝﾌﾟﾙ", "--no", "1", "--at", "2031-03-06 14:00", "--mode", "online",
                    "--place", "https://meet.example.jp/x", "--quiet")
    assert added.returncode == 0, added.stderr
    typo = run_cli("visit", "list", "--company", "株式会社サンプリ")
    assert typo.returncode == 2 and "もしかして: 株式会社サンプル" in typo.stderr, typo.stderr
    english = run_cli("notice", "send", "--to", "company:株式会社サンプリ", "--text", "x", "--yes", env={"HELPDESK_LANG": "en"})
    assert english.returncode == 2 and "Did you mean: 株式会社サンプル?" in english.stderr, english.stderr
