"""The audit's rule registry (evalkit/audit/rules.py): one object per rule, each with an
id, a one-line description and its checks; ``evalkit audit --rules`` lists them; a rule
can be checked on its own with a stand-in page."""

from __future__ import annotations

import pytest

import evalkit.audit
from evalkit.audit import REGISTRY, RULES, Rule
from evalkit.audit.markup import Frame, read_mark
from evalkit.audit.rules import ChartRows, NetworkResource, SuppressedWithN, UnmarkedFigure
from evalkit.audit.settings import Settings
from evalkit.audit.spec import Ref
from evalkit.cli import main

HOOKS = ("check_folder", "scan", "element", "start_tag", "comment", "raw_element", "style", "drawing", "script",
         "code_cell", "figure", "figure_text", "cell_text", "card_note", "chart_spec", "chart_rows", "page_end", "across")


class StandIn:
    """A page for one rule: records what the rule reports."""

    def __init__(self, min_unit_n: int = 10, min_cell_n: int = 5) -> None:
        self.settings = Settings(min_unit_n, min_cell_n)
        self.found: list[tuple[str, Ref, str]] = []

    def add(self, rule: str, where: Ref, message: str) -> None:
        self.found.append((rule, where, message))

    def at(self, pos: int, extra: str = "") -> Ref:
        return (pos, extra, 1)

    def ref(self, frame: Frame, extra: str = "", pos: int | None = None) -> Ref:
        return (frame.pos, frame.suffix + extra, 1)


def test_every_rule_has_an_id_a_description_and_a_check() -> None:
    rules = list(REGISTRY)
    assert [rule.id for rule in rules] == list(RULES)
    assert len({rule.id for rule in rules}) == len(rules) == 15
    for rule in rules:
        assert isinstance(rule, Rule)
        assert rule.description and "\n" not in rule.description
        assert any(rule.defines(hook) for hook in HOOKS), rule.id
        assert f"``{rule.id}``" in (evalkit.audit.__doc__ or "")


def test_a_rule_is_registered_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        REGISTRY.add(NetworkResource())


def test_command_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{rule_id}: {description}" for rule_id, description in RULES.items()]


def test_a_rule_checks_a_figure_on_its_own() -> None:
    page = StandIn()
    attrs = {"class": "ek-num", "data-unit": "municipality:301", "data-wave": "2026", "data-figure": "x",
             "data-source": "survey", "data-suppressed": "small", "data-n": "3"}
    frame = Frame("td", ("ek-num",), 42)
    frame.mark = mark = read_mark(attrs, chart=False)
    UnmarkedFigure().figure(page, frame, mark)
    SuppressedWithN().figure(page, frame, mark)
    SuppressedWithN().figure_text(page, frame, "under 5 (3)")
    assert page.found == [
        ("unmarked-figure", (42, '[data-figure="x"]', 1),
         "figure markup incomplete: data-unit 'municipality:301' is not <level>:<id>"),
        ("suppressed-with-n", (42, '[data-figure="x"]', 1), "suppressed figure carries data-n='3'"),
        ("suppressed-with-n", (42, '[data-figure="x"]', 1), "suppressed figure shows 3 ('under 5 (3)')"),
    ]


def test_a_rule_checks_chart_rows_on_its_own() -> None:
    page = StandIn()
    spec = {"datasets": {"a": [{"n": None, "suppressed": True, "estimate": 0.4},
                               {"n": 7, "suppressed": True}, {"n": 9, "suppressed": False}]}}
    SuppressedWithN().chart_rows(page, ChartRows(None, "survey", (0, "", 1), spec=spec))
    assert page.found == [("suppressed-with-n", (0, "", 1),
                           "suppressed chart rows still carry figures: row 1 estimate=0.4, row 2 n=7")]


def test_network_rule_on_a_start_tag() -> None:
    page = StandIn()
    NetworkResource().start_tag(page, "a", {"href": "https://x.example/", "onclick": "fetch('/y')"}, 7)
    assert [message for _rule, _where, message in page.found] == [
        "href='https://x.example/' links to another host",
        "script uses fetch (a published page must not request anything)",
    ]

