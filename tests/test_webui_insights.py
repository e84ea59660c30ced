"""Browser tests of the insights of issue 13 in the real app (headless Chromium): likely label errors found in the
Data tab, relabelled / dropped and saved to a new file that Train then uses; and "why this label" in the Predict tab
(the highlighted words) and for a row of the Evaluate tab's table of texts. (Runs side by side: test_webui.py.)

    python -m pytest tests/test_webui_insights.py -m browser -s

The label-error test needs no trained model; the explanation tests copy the shared `sms_run` into the app's runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.webui_helpers import (
    ROOT,
    open_tab,
    pick_dropdown,
    screenshot,
    set_number,
    start_studio,
    stop_studio,
)

SMS = ROOT / "assets" / "sms_spam.tsv"
SAMPLE_ROWS = 400
WINNER = "WINNER!! Claim your £1000 prize now"
TIMINGS: dict[str, float] = {}


def planted_sample(folder: Path) -> tuple[Path, dict[int, tuple[str, str]]]:
    """The first SAMPLE_ROWS data rows of the SMS sample with five labels flipped (two plain chats made spam, three
    prize offers made ham), byte for byte otherwise; {data row (1-based): (true label, planted label)}."""
    lines = SMS.read_text(encoding="utf-8").splitlines(keepends=True)[:SAMPLE_ROWS + 1]
    rows = [line.split("\t", 1) for line in lines[1:]]
    spam = [i for i, (label, text) in enumerate(rows) if label == "spam" and "prize" in text.lower()][:3]
    ham = [i for i, (label, text) in enumerate(rows) if label == "ham" and 60 < len(text) < 160][:2]
    planted = {}
    for i in spam + ham:
        true = rows[i][0]
        rows[i][0] = "ham" if true == "spam" else "spam"
        planted[i + 1] = (true, rows[i][0])
    path = folder / "planted.tsv"
    path.write_text(lines[0] + "".join("\t".join(row) for row in rows), encoding="utf-8")
    return path, planted


def data_rows(path: Path) -> list[tuple[str, str]]:
    """(label, text) of each data row of a file, as the app reads it."""
    from classifier.data import read_table

    frame = read_table(path)
    return list(zip(frame["label"].astype(str), frame["text"].astype(str)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def gradio_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("gradio-tmp")


@pytest.fixture(scope="module")
def studio(tmp_path_factory, gradio_tmp):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(gradio_tmp))  # where the app writes the corrected file
        studio = start_studio(tmp_path_factory.mktemp("insights-home"))
    yield studio
    stop_studio(studio)
    print("\nTIMINGS " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))


@pytest.fixture(scope="module")
def page(browser, studio):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(studio.url)
    page.get_by_role("tab", name="1 · Data").wait_for()
    yield page
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(locator)


def table_rows(page, elem_id: str, columns: int) -> list[list[str]]:
    cells = [c.strip() for c in page.locator(f"#{elem_id}").get_by_role("gridcell").all_inner_texts()]
    return [cells[i:i + columns] for i in range(0, len(cells) - columns + 1, columns)]


@pytest.mark.browser
@pytest.mark.slow
def test_label_errors_found_relabelled_dropped_and_saved_to_a_new_file(page, studio, gradio_tmp, tmp_path):
    sample, planted = planted_sample(tmp_path)
    original = sha256(sample)
    page.locator("#data-upload input[type=file]").set_input_files(str(sample))
    expect(page.locator("#data-summary")).to_contain_text("of 400 rows read) in 2 classes", timeout=60_000)
    page.locator("#issues").get_by_text("Find likely label errors").first.click()  # opens the accordion
    started = time.perf_counter()
    page.locator("#issues-find").click()
    # 400 rows, 394 distinct texts (a text is scored once)
    expect(page.locator("#issues-note")).to_contain_text(re.compile(r"\d likely label error\(s\) among 394 texts"),
                                                          timeout=120_000)
    TIMINGS["Find likely label errors, 400 texts, both (s)"] = time.perf_counter() - started
    page.wait_for_function("() => document.querySelectorAll('#issues-table [role=gridcell]').length >= 6")
    rows = table_rows(page, "issues-table", 6)  # row, text, given, suggested, score, decision
    ranked = [int(row[0]) for row in rows]
    top = ranked[:len(planted) + 1]
    assert len(set(top) & set(planted)) >= len(planted) - 1, (ranked, planted)  # near the top: 4 of 5 in the top 6
    for row in rows:
        if int(row[0]) in planted:
            true, given = planted[int(row[0])]
            assert (row[2], row[3], row[5]) == (given, true, "keep"), row  # the suggestion is the true label
    scores = [float(row[4]) for row in rows]
    assert scores == sorted(scores)  # most suspicious first

    found = [r for r in ranked if r in planted]
    relabel, drop = found[0], found[1]
    for row, decision in ((relabel, planted[relabel][0]), (drop, "drop")):
        set_number(page, "issue-row", row)
        pick_dropdown(page, "issue-decision", decision)
        expect(page.locator("#issue-decision input")).to_have_value(decision)
        page.locator("#issue-set").click()
        page.wait_for_function(
            "([row, decision]) => { const c = [...document.querySelectorAll('#issues-table [role=gridcell]')]"
            ".map(x => x.innerText.trim()); for (let i = 0; i + 5 < c.length; i += 6) "
            "{ if (c[i] === String(row)) return c[i + 5] === decision; } return false; }", arg=[row, decision])
    screenshot(page, "label-errors", "#issues")

    page.locator("#issues-save").click()
    expect(page.locator("#issues-note")).to_contain_text("1 row(s) relabelled, 1 dropped, 399 rows in all",
                                                         timeout=60_000)
    expect(page.locator("#issues-note")).to_contain_text("Saved planted-corrected.csv")
    expect(page.locator("#data-summary")).to_contain_text("of 399 rows read) in 2 classes")  # the new file, loaded
    saved = list(gradio_tmp.glob("corrected/*/planted-corrected.csv"))
    assert len(saved) == 1
    before, after = data_rows(sample), data_rows(saved[0])
    assert sha256(sample) == original  # the original file is never written to
    expected = [(planted[relabel][0] if i + 1 == relabel else label, text)
                for i, (label, text) in enumerate(before) if i + 1 != drop]
    assert after == expected  # one row relabelled to its true label, one dropped, the rest as they were
    open_tab(page, "2 · Train")
    expect(page.locator("#train-data-note")).to_contain_text("planted-corrected.csv", timeout=60_000)
    open_tab(page, "1 · Data")


@pytest.fixture(scope="module")
def with_sms_run(studio, sms_run):
    """The shared SMS run, copied into the app's runs folder (the Predict and Evaluate tabs list it on opening)."""
    target = studio.home / "runs" / Path(sms_run.run_dir).name
    if not target.exists():
        shutil.copytree(sms_run.run_dir, target)
    return target.name


def word_scores(note: str) -> dict[str, float]:
    """The note's "Most for it: w (+0.91), ..." words and scores."""
    towards = note.split("Most for it:", 1)[1].split("Most against:", 1)[0]
    return {w: float(s) for w, s in re.findall(r"(\S+) \(([+-]\d\.\d+)\)", towards)}


@pytest.mark.browser
@pytest.mark.slow
def test_why_this_label_colours_the_words_of_a_typed_message(page, studio, with_sms_run):
    open_tab(page, "4 · Predict")
    expect(page.locator("#predict-run input")).to_have_value(re.compile(re.escape(with_sms_run)), timeout=20_000)
    started = time.perf_counter()
    page.locator("#predict-text textarea").fill(WINNER)
    expect(page.locator("#why-note")).to_contain_text("Explaining spam", timeout=60_000)
    TIMINGS["Typed text to explanation (s)"] = time.perf_counter() - started
    expect(page.locator("#prediction")).to_contain_text("spam")
    words = page.locator("#why-words")
    for word in ("WINNER", "Claim", "prize"):
        expect(words).to_contain_text(word)
    scores = word_scores(page.locator("#why-note").inner_text())
    assert any(scores.get(w, 0) > 0 for w in ("WINNER", "Claim", "prize", "£1000")), scores
    assert all(s > 0 for s in scores.values()), scores  # "most for it" are the words towards spam

    from gradio_client import Client

    answer = Client(studio.url, verbose=False).predict(WINNER, with_sms_run, "", api_name="/explain")
    by_word = {word.strip("!.").lower(): score for word, score in answer["words"]}
    assert answer["target"] == "spam" and max(by_word.get(w, -1) for w in ("winner", "claim", "prize")) > 0, answer
    assert max(abs(score) for _, score in answer["words"]) == pytest.approx(1.0, abs=1e-3)  # scaled to +-1
    page.wait_for_function("() => !/processing/.test(document.querySelector('#why').innerText)")  # not mid-update
    screenshot(page, "explain", "#why")
    # the same words, asked about the other class: the sign turns
    pick_dropdown(page, "why-class", "ham")
    expect(page.locator("#why-class input")).to_have_value("ham")
    expect(page.locator("#why-note")).to_contain_text("Explaining ham", timeout=60_000)
    against = word_scores(page.locator("#why-note").inner_text())
    assert all(against.get(w, 0) <= 0 for w in ("WINNER", "Claim", "prize")), against  # they speak against ham


@pytest.mark.browser
@pytest.mark.slow
def test_a_click_on_an_evaluate_row_explains_its_label(page, with_sms_run):
    open_tab(page, "3 · Evaluate")
    expect(page.locator("#evaluate-run input")).to_have_value(re.compile(re.escape(with_sms_run)), timeout=20_000)
    page.locator("#confusion-matrix .heatmaplayer").wait_for(timeout=60_000)
    expect(page.locator("#error-filter input")).to_have_value(re.compile(r"all errors \(\d+\)"))
    if "all errors (0)" in page.locator("#error-filter input").input_value():  # none: the matrix's spam/spam cell
        page.locator("#confusion-table").get_by_role("gridcell").nth(5).click()
    page.wait_for_function("() => document.querySelectorAll('#errors [role=gridcell]').length >= 4",
                           timeout=30_000)
    row = table_rows(page, "errors", 4)[0]  # text, true, predicted, confidence
    page.locator("#errors").get_by_role("gridcell").first.click()
    expect(page.locator("#error-why-note")).to_contain_text(f"Explaining {row[2]}", timeout=60_000)
    first_word = re.findall(r"\w+", row[0])[0]
    expect(page.locator("#error-why")).to_contain_text(first_word)
