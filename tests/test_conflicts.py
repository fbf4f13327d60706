"""The corpus map on the real seeds (real embedder, Chroma, stance model), its merge rule, and its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.app.conflicts import ConflictMap, Point, SourceValue, checkable, conflict_map, merge, near_other_sources
from agent.app.ingest import ingest
from agent.app.verify import verify_claim
from agent.cli import app
from agent.data.store import Embedder
from agent.pipeline.services import Services
from agent.schemas import Citation
from tests.conftest import make_services

CAMPAIGN = "Anthropic says the campaign ran from April 22 to June 5, 2026."
BLOOMBERG = "004_eb269963b8a04d98"  # dates the campaign April–June 2025; the others April 22 – June 5, 2026


@pytest.fixture(scope="module")
def seed_map(seeded_services: Services) -> ConflictMap:
    return conflict_map(seeded_services)


def test_a_deciding_check_is_named_on_the_stance(seeded_services: Services) -> None:
    """The stance says which check decided and whether both values were plainly parsed (the LLM merge reads it)."""
    record = verify_claim(seeded_services, CAMPAIGN)
    other = next(s for s in record.sources if s.doc_id == BLOOMBERG)
    assert other.stance == "refutes"
    assert other.check in {"date", "period"} and other.unambiguous


def test_the_map_finds_the_campaign_year_and_quotes_exactly(seeded_services: Services, seed_map: ConflictMap) -> None:
    index = seeded_services.index()
    year = [p for p in seed_map.disagreements if BLOOMBERG in {v.doc_id for v in p.refuting + p.supporting}]
    assert year, "the 2025-vs-2026 campaign period is not on the map"
    p = year[0]
    assert p.check in {"date", "period"} and len(p.supporting) >= 3
    assert seed_map.statements_checked > 20
    for q in [p.origin] + [v.quote for d in seed_map.disagreements for v in d.supporting + d.refuting if v.quote]:
        assert index.valid_citation(q), q
    said = {v.doc_id for v in p.supporting + p.refuting} | set(p.silent)
    assert said == set(seed_map.sources)


def _point(statement: str, sup: list[str], ref: list[str], check: str = "date", at: int = 0) -> Point:
    def cite(d: str, start: int) -> Citation:
        return Citation(doc_id=d, chunk_id=f"{d}:0", start=start, end=start + 5, quote="xxxxx")

    return Point(
        statement=statement,
        origin=cite(sup[0], at),
        check=check,
        supporting=[SourceValue(doc_id=d, stance="supports", quote=cite(d, at)) for d in sup],
        refuting=[SourceValue(doc_id=d, stance="refutes", quote=cite(d, 100 + at)) for d in ref],
        score=len(sup) + len(ref),
    )


def test_merge_joins_mirror_images_and_keeps_other_points() -> None:
    a = _point("Feb", ["a", "b", "c"], ["d"], "period", at=0)
    mirror = _point("Jan", ["d"], ["b"], "date", at=7)  # d's own statement, refuted by b: the same difference
    figure = _point("24K", ["a", "b"], ["d"], "figure", at=9)  # the same sources, but a figure: another point
    kept = merge([a, mirror, figure])
    assert [p.statement for p in kept] == ["Feb", "24K"] and kept[0].merged == 2


def test_merge_joins_a_date_and_a_duration_from_one_refuting_quote() -> None:
    # "restored on Oct. 16, after 11 days offline" refuted by one quote ("back on Oct 21, after 16 days offline"):
    # the date and the duration are one difference; a duration refuted by another quote stays its own point
    date = _point("Oct 16", ["a", "b"], ["c"], "date", at=0)
    days = _point("11 days", ["b"], ["c"], "duration", at=0)
    other = _point("3 weeks", ["a"], ["c"], "duration", at=40)
    kept = merge([date, days, other])
    assert [p.statement for p in kept] == ["Oct 16", "3 weeks"] and kept[0].merged == 2


def test_conflicts_command_writes_html_and_jsonl(
    seeded_services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed_map: ConflictMap
) -> None:
    from agent import cli

    monkeypatch.setattr(cli.State, "services", classmethod(lambda cls: seeded_services))
    monkeypatch.setattr("agent.app.conflicts.conflict_map", lambda services, **kw: seed_map)
    runner = CliRunner()
    html = tmp_path / "map.html"
    res = runner.invoke(app, ["conflicts", "-o", str(html)])
    assert res.exit_code == 0, res.output
    page = html.read_text(encoding="utf-8")
    assert page.count('class="card"') == len(seed_map.disagreements) and 'class="refutes"' in page
    res = runner.invoke(app, ["conflicts", "--format", "jsonl"])
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == len(seed_map.disagreements) + len(seed_map.agreements)
    assert runner.invoke(app, ["conflicts", "--format", "pdf"]).exit_code == 2


def test_the_html_map_renders_per_source_values_in_chromium(seed_map: ConflictMap, tmp_path: Path) -> None:
    """A screenshot in headless Chromium shows the 'same' and 'differs' badges; the DOM has a row per source."""
    import subprocess

    from agent.app.report import STANCE_COLORS, conflicts_html
    from tests.conftest import CHROME_FLAGS
    from tests.test_eval import _chromium, _png_rgb

    exe = _chromium()
    html = tmp_path / "map.html"
    html.write_text(conflicts_html(seed_map), encoding="utf-8")
    shot = tmp_path / "map.png"
    base = [exe, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400"]
    subprocess.run([*base, f"--screenshot={shot}", html.as_uri()], check=True, capture_output=True, timeout=90)
    pixels = _png_rgb(shot)
    for stance in ("supports", "refutes"):  # the badge colours are painted
        rgb = [int(STANCE_COLORS[stance][i : i + 2], 16) for i in (1, 3, 5)]
        assert int((pixels == rgb).all(axis=2).sum()) >= 50, stance
    dom = subprocess.run(
        [exe, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'p2'}", "--dump-dom", html.as_uri()],
        check=True, capture_output=True, text=True, timeout=90,
    ).stdout  # fmt: skip
    first = seed_map.disagreements[0]
    rows = len(first.supporting) + len(first.refuting) + len(first.silent)
    card = dom.split('class="card"', 2)[1]
    assert card.count("<tr class=") == rows and first.refuting[0].doc_id in card


FLOOD = {
    "a.txt": "Flood in Kestrel Ford\n\nThe Velna River burst its banks on March 15, 2026, flooding 400 homes in Kestrel"
    " Ford.\n\nThe mayor declared an emergency on March 16 and opened two shelters for evacuated families.\n\n"
    "Volunteers filled 3,000 sandbags before the Velna River flooded homes in Kestrel Ford.\n",
    "b.txt": "Kestrel Ford floods\n\nAbout 650 homes in Kestrel Ford were flooded when the Velna River rose on"
    " March 15, 2026.\n\nAn emergency was declared by the mayor on March 17, officials said on Tuesday.\n\n"
    "Residents of Kestrel Ford said the Velna River had not flooded their streets since 1998.\n",
    "c.txt": "Harbour marathon\n\nThe winner crossed the line in 2 hours 9 minutes, a course record by 40 seconds.\n\n"
    "Organisers said 12,500 runners started the race, up from 9,800 last year.\n",
}


@pytest.fixture
def flood_services(tmp_path: Path, embedder: Embedder) -> Services:
    """Two reports of one flood that differ on the homes flooded and the emergency's date, and a race report."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in FLOOD.items():
        (corpus / name).write_text(text)
    services = make_services(tmp_path / "data", embedder)
    ingest([corpus], services.settings, services.store, embedder)
    return services


def test_a_statement_no_other_source_comes_near_is_not_verified(flood_services: Services, embedder: Embedder) -> None:
    """The race's statements cannot be contradicted by another source, so the map counts them as alone and
    verifies only the flood's."""
    services = flood_services
    index = services.index()
    ids = [i for d in sorted(index.by_doc) for i in index.by_doc[d] if checkable(index.sentences[i])]
    near = dict(zip(ids, near_other_sources(index, embedder, ids, 0.5), strict=True))
    by_doc = {d: {near[i] for i in index.by_doc[d] if i in near} for d in index.by_doc}
    assert by_doc == {"a": {True}, "b": {True}, "c": {False}}, by_doc
    cmap = conflict_map(services)
    assert (
        cmap.statements_alone == len(index.by_doc["c"]) and cmap.statements_checked == len(ids) - cmap.statements_alone
    )


def _sides_of(cmap: ConflictMap) -> list[tuple[str, list[str], list[str]]]:
    return [(p.statement, [v.doc_id for v in p.supporting], [v.doc_id for v in p.refuting]) for p in cmap.disagreements]


def test_the_checks_only_first_pass_finds_the_same_disagreements(flood_services: Services) -> None:
    """The first pass runs the graph with the structured checks alone; the model then reads only the statements
    another source may refute, or one already supports. The disagreements are those of a full pass."""
    stages: list[str] = []
    two = conflict_map(flood_services, progress=lambda done, total, stage: stages.append(stage))
    one = conflict_map(flood_services, two_pass=False)
    assert _sides_of(two) == _sides_of(one) and two.disagreements, _sides_of(one)
    assert two.statements_checked == one.statements_checked
    assert two.statements_read_by_model < one.statements_read_by_model == one.statements_checked
    assert stages.count("checks") == two.statements_checked and stages.count("model") == two.statements_read_by_model


def test_services_without_model_never_load_it(flood_services: Services) -> None:
    def no_model() -> None:
        raise AssertionError("the checks-only pass called the stance model")

    light = flood_services.without_model()
    light.stance_model = no_model  # type: ignore[method-assign]
    record = verify_claim(light, "About 650 homes in Kestrel Ford were flooded.")
    a = next(s for s in record.sources if s.doc_id == "a")
    assert a.stance == "refutes" and a.check == "figure"
    assert light.extras is flood_services.extras  # the index and caches are shared, not rebuilt
