"""The whole app in Chinese (issue 14, item 2): a browser in zh-CN walks a full flow (a bad upload, the SMS sample,
a short training that is stopped and resumed to the end, Evaluate, Predict, Runs) and no tab may show an English
sentence: anything Latin-script must be data (the SMS texts), a file, run or model name, a number or a known term.

`python -m pytest tests/test_webui_zh.py -m browser -s` (Debian's chromium, like tests/test_webui.py). It also
writes the Chinese screenshot of the Train tab the README shows (assets/screenshots/train-zh.png).
"""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest

from tests.webui_helpers import (
    ROOT,
    choose,
    launch_chromium,
    open_tab,
    screenshot,
    set_number,
    start_studio,
    stop_studio,
    toast_texts,
)

SMS = ROOT / "assets" / "sms_spam.tsv"
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
SPAM = "WINNER!! You have won a £1000 cash prize. To claim call 09061701461 now. T&C apply."
TIMINGS: dict[str, float] = {}

# ---------------------------------------------------------------------------------------------------------------
# What counts as an English sentence
# ---------------------------------------------------------------------------------------------------------------
# words that make a run of Latin words a sentence rather than a name or a term
ENGLISH_WORDS = set("""
a an the of to in on at by for from with without and or but not no is are was were be been has have had do does did
it its this that these those there here which who what when where why how all any each every some more most less
than then so as if into over under after before about only also can could will would should may might must shall
run runs training train trained model models text texts data file files row rows label labels class classes step
steps test validation split splits best last checkpoint stopped stop finished started resuming resume removed
dropped kept used using use predictions prediction chosen choose imbalanced rare accuracy baseline error errors
loaded load sample upload please wait while your you new time left epoch epochs rate rates layer weights features
""".split())
# terms and names that stay in Latin script in the Chinese app
ALLOWED = [
    r"TF-IDF", r"(?:macro|micro|weighted)[-_ ]?F1", r"F1", r"LoRA", r"CPU", r"GPU", r"max_length", r"max_train_samples",
    r"all-MiniLM-L6-v2", r"MiniLM", r"bert-base-\w+", r"multilingual-e5-small", r"SmolLM2[-\w.]*", r"Hugging Face",
    r"Hub", r"CSV", r"TSV", r"JSONL", r"XLSX", r"Parquet", r"UTF-8", r"Space", r"Settings", r"Persistent storage",
    r"ROC", r"PR", r"AUC", r"logits", r"ham", r"spam",
]
FILE_OR_PATH = re.compile(r"[\w./~-]+\.(?:tsv|csv|jsonl|json|xlsx|parquet|txt|zip|png|log)\b|[\w.-]+/[\w./-]*",
                          re.IGNORECASE)
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ ,;:]+[A-Za-z][A-Za-z'’]*){2,}")


def english_sentences(text: str, corpus: str, names: list[str]) -> list[str]:
    """Runs of three or more Latin words, at least two of them ordinary English words, that are not part of the
    data (a line of the page found in the data file is data: the preview, the errors table, the examples)."""
    found = []
    for chunk in re.split(r"[\n\t]+", text):
        chunk = " ".join(chunk.split()).strip("…").strip()  # a page collapses runs of spaces
        if not chunk or (len(chunk) >= 12 and chunk[:60].strip() in corpus):
            continue
        for name in names:
            chunk = chunk.replace(name, " ")
        chunk = FILE_OR_PATH.sub(" ", chunk)
        for pattern in ALLOWED:
            chunk = re.sub(pattern, " ", chunk)
        for run in LATIN_RUN.findall(chunk):
            words = re.findall(r"[A-Za-z]+", run.lower())
            if sum(w in ENGLISH_WORDS for w in words) >= 2 and run.strip() not in corpus:
                found.append(run)
    return found


def test_the_english_sentence_checker():
    corpus = "Free entry in 2 a wkly comp to win FA Cup final tkts"
    assert english_sentences("数据已载入 sms_spam.tsv（2 个类别）", corpus, []) == []
    assert english_sentences("Free entry in 2 a wkly comp to win FA Cup", corpus, []) == []
    assert english_sentences("模型：all-MiniLM-L6-v2 · macro-F1 0.93 · TF-IDF", corpus, []) == []
    assert english_sentences("⚠ The classes are imbalanced (largest/smallest = 6.5)", corpus, [])
    assert english_sentences("设备：CPU (2 cores) · Training started on CPU", corpus, [])


# ---------------------------------------------------------------------------------------------------------------
# The flow in a browser
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    studio = start_studio(tmp_path_factory.mktemp("studio-zh-home"))
    yield studio
    stop_studio(studio)
    print("\nTIMINGS " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))


@pytest.fixture(scope="module")
def page(studio):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(studio.url)
        page.get_by_role("tab", name="1 · 数据").wait_for()
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def corpus():
    """The data's texts as the page may show them: spaces collapsed, HTML entities of the raw file decoded; with
    the Predict tab's example messages (sample data of their own, classifier/webui/predict_tab.py)."""
    from classifier.webui.predict_tab import EXAMPLES

    raw = "\n".join([SMS.read_text(encoding="utf-8"), SPAM, *EXAMPLES])
    return "\n".join(" ".join(line.split()) for text in (raw, html.unescape(raw)) for line in text.splitlines())


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(locator)


class Visible:
    """Everything a tab shows (the page's text, the log box, the toasts) checked for English sentences."""

    def __init__(self, page, studio, corpus: str) -> None:
        self.page, self.studio, self.corpus = page, studio, corpus

    def check(self, where: str) -> None:
        page = self.page
        texts = [page.locator("body").inner_text(), *toast_texts(page)]
        for box in page.locator("textarea:visible, input[type=text]:visible").all():
            texts.append(box.input_value())
        names = sorted((run.name for run in self.studio.runs), key=len, reverse=True)
        found = [s for text in texts for s in english_sentences(text, self.corpus, names)]
        assert not found, f"English on the {where}: {found}"


@pytest.mark.browser
@pytest.mark.slow
def test_a_full_flow_in_chinese_shows_no_english_sentence(page, studio, corpus):
    visible = Visible(page, studio, corpus)
    started = time.perf_counter()
    visible.check("landing page")

    # a bad upload: the error and the data tab in Chinese
    page.locator("#data-upload input[type=file]").set_input_files(str(BAD_INPUTS / "header_only.csv"))
    expect(page.locator("#data-summary")).to_contain_text("无法使用", timeout=60_000)
    expect(page.locator("[data-testid=toast-text]").first).to_contain_text("没有数据行")
    visible.check("Data tab after a bad upload")
    for close in page.locator("[data-testid=toast-close]").all():
        close.click()

    # the SMS sample: summary and warnings (duplicates, imbalance) in Chinese
    page.locator("#sample-sms").click()
    expect(page.locator("#data-warnings")).to_contain_text("重复文本", timeout=60_000)
    expect(page.locator("#data-warnings")).to_contain_text("不均衡")
    set_number(page, "validation-fraction", 0.1)
    set_number(page, "test-fraction", 0.1)
    choose(page, "imbalance", "平衡：对大类降采样")
    expect(page.locator("#data-summary")).to_contain_text("453")
    visible.check("Data tab with the SMS sample")
    TIMINGS["data (s)"] = time.perf_counter() - started

    # a short training, stopped after its first steps and resumed to the end
    open_tab(page, "2 · 训练")
    expect(page.locator("#device")).to_contain_text("CPU", timeout=60_000)
    set_number(page, "epochs", 2)
    page.locator("#advanced").get_by_text("高级设置").click()
    set_number(page, "max-train-samples", 200)
    set_number(page, "evals-per-epoch", 1)
    choose(page, "strategy", "全量：所有权重")
    visible.check("Train tab before training")
    page.locator("#start").click()
    page.wait_for_function("() => document.querySelectorAll('#loss-plot .scatterlayer .trace').length > 0",
                           timeout=180_000)
    page.locator("#stop").click()
    expect(page.locator("#train-status")).to_contain_text("已停止", timeout=180_000)
    visible.check("Train tab after a stop")
    TIMINGS["train to the stop (s)"] = time.perf_counter() - started
    page.locator("#resume").click()
    expect(page.locator("#train-status")).to_contain_text("已完成", timeout=300_000)
    expect(page.locator("#train-log textarea")).to_have_value(re.compile("已完成。测试准确率"))
    log = page.locator("#train-log textarea").input_value()
    assert "从 checkpoint-" in log and "数据：训练" in log, log
    visible.check("Train tab of the finished run")
    TIMINGS["resumed to the end (s)"] = time.perf_counter() - started
    screenshot(page, "train-zh")

    open_tab(page, "3 · 评估")
    page.locator("#confusion-matrix .heatmaplayer").wait_for(timeout=60_000)
    expect(page.locator("#evaluate-headline")).to_contain_text("TF-IDF")
    visible.check("Evaluate tab")

    open_tab(page, "4 · 预测")
    expect(page.locator("#predict-run input")).not_to_have_value("", timeout=10_000)
    page.locator("#predict-text textarea").fill(SPAM)
    expect(page.locator("#prediction")).to_contain_text("%", timeout=60_000)
    visible.check("Predict tab")

    open_tab(page, "运行记录")
    expect(page.locator("#runs-table")).to_contain_text("已完成")
    visible.check("Runs tab")
    TIMINGS["whole flow (s)"] = time.perf_counter() - started
