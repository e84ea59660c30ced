"""Every word the app shows, in English and Simplified Chinese.

Two ways a text reaches the page:
- static labels (tab names, field labels, buttons, help) are `t(key)`: a gr.I18n key that the *browser* translates,
  following its language or the language picked in Gradio's Settings panel (footer);
- texts made by a handler (status lines, summaries, warnings) are `tr(lang, key, **values)`: translated on the
  server into the language the page reported at load (`document.documentElement.lang`, kept in a hidden box).

Messages that come from the engine (warnings, the training log, ClassifierError) have keys of their own in
`classifier/message_catalogue.py` and are rendered with `classifier.messages.render` in the page's language.
"""

from __future__ import annotations

import gradio as gr

LANGS = ("en", "zh-CN")

# key: (English, 简体中文). Placeholders in braces are filled by tr().
TEXTS: dict[str, tuple[str, str]] = {
    # --- page
    "app_title": ("Text Classifier Studio", "文本分类工作室"),
    "app_header": (
        "## Text Classifier Studio\nTeach a pretrained language model your categories: load labelled texts, train, "
        "check the results, classify new texts. Everything runs on this machine; the bundled models need no internet.",
        "## 文本分类工作室\n让预训练语言模型学会你的类别：载入带标签的文本，训练，查看结果，分类新文本。"
        "一切都在本机运行；自带模型无需联网。",
    ),
    "storage_persistent": (
        "Runs and models are kept on this Space's persistent storage (`/data`): they survive a restart.",
        "运行记录和模型保存在此 Space 的持久存储（`/data`）中：重启后仍在。",
    ),
    "storage_ephemeral": (
        "This Space has no persistent storage: runs are lost when it restarts (Settings → Persistent storage).",
        "此 Space 没有持久存储：重启后运行记录会丢失（Settings → Persistent storage）。",
    ),
    "tab_data": ("1 · Data", "1 · 数据"),
    "tab_train": ("2 · Train", "2 · 训练"),
    "tab_evaluate": ("3 · Evaluate", "3 · 评估"),
    "tab_predict": ("4 · Predict", "4 · 预测"),
    "tab_runs": ("Runs", "运行记录"),
    "run": ("Run", "运行"),
    "refresh": ("Refresh", "刷新"),
    "no_runs": ("No runs yet. Train one in the Train tab.", "还没有运行记录。请先在“训练”页训练一个模型。"),
    # --- data tab
    "data_intro": (
        "Upload a file with **one text and one label per row** (CSV, TSV, JSONL, XLSX, Parquet, or "
        "`label<TAB>text`), start with a sample, or name a Hugging Face hub data set.",
        "上传一个**每行一条文本和一个标签**的文件（CSV、TSV、JSONL、XLSX、Parquet 或 `标签<TAB>文本`），"
        "或先用示例数据，或填写 Hugging Face Hub 数据集名称。",
    ),
    "sample_sms": ("Sample: SMS spam (English)", "示例：垃圾短信（英文）"),
    "sample_news": ("Sample: Chinese news titles", "示例：中文新闻标题"),
    "upload": ("Your labelled file", "你的带标签文件"),
    "preview": ("Preview (first rows of the file)", "预览（文件前几行）"),
    "text_column": ("Text column", "文本列"),
    "label_column": ("Label column", "标签列"),
    "column_info": ("Detected automatically; change it if it is wrong.", "已自动识别；如有误请修改。"),
    "summary": ("Summary", "概况"),
    "warnings": ("Warnings", "提示"),
    "split_settings": ("Split and balance", "划分与类别平衡"),
    "split_info": (
        "The file is split into **train** (the model learns from it), **validation** (picks the best checkpoint "
        "and stops early) and **test** (scored once at the end). Classes keep their shares in every split.",
        "文件会被划分为**训练集**（模型从中学习）、**验证集**（挑选最佳检查点并提前停止）和**测试集**（最后评分一次）。"
        "每个划分中各类别比例保持不变。",
    ),
    "validation_fraction": ("Validation share", "验证集比例"),
    "test_fraction": ("Test share", "测试集比例"),
    "seed": ("Random seed", "随机种子"),
    "seed_info": ("Same seed, same split and same result.", "种子相同，划分与结果就相同。"),
    "validation_file": ("Separate validation file (optional)", "单独的验证集文件（可选）"),
    "test_file": ("Separate test file (optional)", "单独的测试集文件（可选）"),
    "imbalance": ("Unequal class sizes", "类别数量不均衡时"),
    "imbalance_keep": ("Keep as is", "保持原样"),
    "imbalance_balance": ("Balance: downsample big classes", "平衡：对大类降采样"),
    "imbalance_weights": ("Class weights: rare classes count more", "类别权重：少数类更重要"),
    "imbalance_info": (
        "Balancing downsamples every class to the size of the smallest one: it throws data away (fast, honest "
        "accuracy). Class weights keep all the data and make mistakes on rare classes count more in the loss.",
        "平衡会把每个类别降采样到最小类别的数量：会丢弃数据（更快，准确率更真实）。"
        "类别权重保留全部数据，让少数类的错误在损失中占更大比重。",
    ),
    "chart_classes": ("Examples per class", "各类别样本数"),
    "chart_class": ("Class", "类别"),
    "chart_examples": ("Examples", "样本数"),
    "chart_lengths": ("Text length in tokens", "文本长度（词元数）"),
    "chart_tokens": ("Tokens per text", "每条文本的词元数"),
    "chart_texts": ("Texts", "文本数"),
    "chart_recommended": ("recommended max length", "推荐最大长度"),
    "chart_limit": ("model limit", "模型上限"),
    # --- data tab: likely label errors (classifier/label_issues.py)
    "issues_title": ("Find likely label errors", "查找可能标错的样本"),
    "issues_info": (
        "Every text is scored by a model trained **without it** (5 folds), and cleanlab's confident learning lists "
        "the texts whose given label that model most doubts, most suspicious first (score: the probability of the "
        "given label; low = likely wrong). Set each row's **decision**: `keep`, `drop`, or a class to relabel it "
        "(`a|b` for several labels); then save. The corrected data goes to a **new file**, which Train then uses; "
        "your original file is never changed.",
        "每条文本都由一个**没见过它**的模型打分（5 折），再用 cleanlab 的置信学习列出模型最怀疑其标签的文本，"
        "最可疑的在前（分数：给定标签的概率；越低越可能标错）。为每行设定**处理**：`keep`（保留）、`drop`（删除），"
        "或填写一个类别以改标（多个标签写成 `a|b`）；然后保存。修正后的数据写入一个**新文件**，之后“训练”就使用它；"
        "原文件不会被改动。",
    ),
    "issues_method": ("Model for the scores", "打分所用模型"),
    "issues_method_features": ("Sentence vectors of the bundled model (minutes)",
                               "自带模型的句向量（需几分钟）"),
    "issues_method_tfidf": ("TF-IDF (fast)", "TF-IDF（快）"),
    "issues_method_both": ("Both, averaged (most precise; minutes)", "两者平均（最准；需几分钟）"),
    "issues_find": ("Find likely label errors", "查找可能标错的样本"),
    "issues_table": ("Likely label errors, most suspicious first (edit the decision column)",
                     "可能标错的样本，最可疑的在前（可编辑“处理”列）"),
    "issues_col_row": ("row", "行"),
    "issues_col_text": ("text", "文本"),
    "issues_col_given": ("given label", "给定标签"),
    "issues_col_suggested": ("suggested", "建议标签"),
    "issues_col_score": ("score", "分数"),
    "issues_col_decision": ("decision", "处理"),
    "issues_row": ("Row (click a row of the table)", "行号（点击表格中的一行）"),
    "issues_decision": ("Decision", "处理"),
    "issues_set": ("Set", "设定"),
    "issues_accept_all": ("Relabel every row to its suggestion", "全部改为建议标签"),
    "issues_save": ("Save the corrected file", "保存修正后的文件"),
    "issues_no_data": ("Load data first (a sample or your file).", "请先载入数据（示例或你的文件）。"),
    "issues_running": ("Scoring every text with models that did not see it…", "正在用没见过各条文本的模型为其打分…"),
    "issues_found": (
        "**{n:,}** likely label error(s) among {rows:,} texts of **{name}** ({method}, {folds} folds, {seconds} s).",
        "在 **{name}** 的 {rows:,} 条文本中发现 **{n:,}** 条可能标错（{method}，{folds} 折，{seconds} 秒）。",
    ),
    "issues_none": ("No likely label error among {rows:,} texts of **{name}**.",
                    "在 **{name}** 的 {rows:,} 条文本中没有发现可能标错的样本。"),
    "issues_timeout": (
        "The search took longer than {seconds:g} seconds and was stopped (CLASSIFIER_LABEL_ISSUES_TIMEOUT). Try "
        "TF-IDF, a smaller file, or the command line: python -m classifier label-issues.",
        "查找超过 {seconds:g} 秒，已停止（CLASSIFIER_LABEL_ISSUES_TIMEOUT）。请改用 TF-IDF、较小的文件，"
        "或命令行：python -m classifier label-issues。",
    ),
    "issues_not_found": ("Row {row} is not in the table.", "表格中没有第 {row} 行。"),
    "issues_nothing": ("Find the label errors first.", "请先查找可能标错的样本。"),
    "issues_stale": ("The data changed since the search; search again.", "查找之后数据已更换；请重新查找。"),
    "issues_saved": (
        "Saved **{name}**: {relabelled:,} row(s) relabelled, {dropped:,} dropped, {rows:,} rows in all. Train now "
        "uses this file; the original is unchanged.",
        "已保存 **{name}**：改标 {relabelled:,} 行，删除 {dropped:,} 行，共 {rows:,} 行。"
        "“训练”现在使用此文件；原文件未改动。",
    ),
    "data_none": ("Load a sample or upload a file to begin.", "请载入示例或上传文件开始。"),
    "data_failed": ("⚠ **{name}** could not be used (the message says why). No data is loaded now; fix the file "
                    "and upload it again, or load a sample.",
                    "⚠ **{name}** 无法使用（原因见提示消息）。当前没有载入任何数据；"
                    "请修正文件后重新上传，或载入示例。"),
    "data_summary": (
        "**{rows_used:,}** texts with a label (of {rows_read:,} rows read) in **{classes}** classes. "
        "Split: train **{train:,}** · validation **{validation:,}** · test **{test:,}**.\n\n"
        "Language: **{language}**, so the default model is **{model}**. Half of the texts are shorter than "
        "**{p50}** tokens; a max length of **{recommended}** tokens holds 95% of them whole.",
        "共 **{rows_used:,}** 条带标签文本（读取 {rows_read:,} 行），**{classes}** 个类别。"
        "划分：训练 **{train:,}** · 验证 **{validation:,}** · 测试 **{test:,}**。\n\n"
        "语言：**{language}**，因此默认模型为 **{model}**。一半文本短于 **{p50}** 个词元；"
        "最大长度 **{recommended}** 可完整容纳 95% 的文本。",
    ),
    "data_multilabel": (
        "**Multi-label data:** a text may carry several labels; the model gives each label its own probability "
        "and a threshold per label (tuned on validation).",
        "**多标签数据：**一条文本可以有多个标签；模型为每个标签给出独立的概率，并为每个标签设定阈值（在验证集上调定）。",
    ),
    "data_over_limit": (
        "**{n:,}** of the texts are longer than the model's limit of {limit} tokens: they are truncated, or read "
        "whole in overlapping windows with *Long texts → chunk* (Train tab, advanced).",
        "有 **{n:,}** 条文本超过模型上限 {limit} 个词元：它们会被截断；或在“训练”页高级设置中选择“长文本 → 分块”，"
        "以重叠窗口完整读取。",
    ),
    "lang_latin": ("English / Latin script", "英文 / 拉丁字母"),
    "lang_cjk": ("Chinese / Japanese / Korean", "中文 / 日文 / 韩文"),
    "lang_other": ("other", "其他"),
    "no_warnings": ("No problems found in the data.", "数据中没有发现问题。"),
    "loaded": ("Loaded {name}.", "已载入 {name}。"),
    # --- train tab
    "train_intro": (
        "Pick a base model and start. Curves appear as the model learns; you can close the browser and come "
        "back later.",
        "选择基础模型后开始训练。训练过程中会实时显示曲线；可以关闭浏览器，稍后回来查看。",
    ),
    "data_for_training": ("Data: **{name}** ({train:,} training texts, {classes} classes).",
                          "数据：**{name}**（训练文本 {train:,} 条，{classes} 个类别）。"),
    "model": ("Base model", "基础模型"),
    "model_info": (
        "Bundled models work offline; hub models are downloaded from Hugging Face (needs internet). You can also "
        "type any hub id or the path of a local model folder.",
        "自带模型离线可用；Hub 模型需从 Hugging Face 下载（需联网）。也可以输入任意 Hub 模型名或本地模型文件夹路径。",
    ),
    "strategy": ("What to train", "训练方式"),
    "strategy_auto": ("auto", "自动"),
    "strategy_full": ("full: every weight", "全量：所有权重"),
    "strategy_head": ("head: only the classifier on top", "仅分类头"),
    "strategy_last_n": ("last-N: the top N layers", "最后 N 层"),
    "strategy_lora": ("LoRA: small low-rank adapters + head", "LoRA：低秩适配器 + 分类头"),
    "strategy_info": (
        "full is the most accurate; head is the fastest (the model itself stays frozen); last-N is in between; "
        "LoRA trains small adapters beside the attention weights. auto = full for small encoders, last-N for "
        "decoders on a CPU.",
        "全量最准确；仅分类头最快（模型本体冻结）；最后 N 层介于两者之间；LoRA 在注意力权重旁训练小型适配器。"
        "自动 = 小编码器用全量，CPU 上的解码器用最后 N 层。",
    ),
    "epochs": ("Epochs (0 = automatic)", "轮数（0 = 自动）"),
    "epochs_info": ("passes over the training data; automatic: 3, up to 6 for multilingual-e5-small on a small file",
                    "遍历训练数据的次数；自动：3，multilingual-e5-small 在小文件上最多 6"),
    "name": ("Run name (optional)", "运行名称（可选）"),
    "name_info": ("letters, digits, - _ . ; the run folder is <time>-<name>",
                  "字母、数字、- _ .；运行文件夹为 <时间>-<名称>"),
    "advanced": ("Advanced settings", "高级设置"),
    "max_train_samples": ("Use at most N training texts (0 = all)", "最多使用 N 条训练文本（0 = 全部）"),
    "batch_size": ("Batch size", "批大小"),
    "learning_rate": ("Learning rate (0 = automatic)", "学习率（0 = 自动）"),
    "learning_rate_info": ("Automatic: {full:g} full, {last_n:g} last-N, {head:g} head, {lora:g} LoRA.",
                           "自动：全量 {full:g}，最后 N 层 {last_n:g}，仅分类头 {head:g}，LoRA {lora:g}。"),
    "max_length": ("Max length in tokens (0 = automatic)", "最大长度（词元，0 = 自动）"),
    "max_length_info": ("Automatic: holds 95% of the training texts whole.", "自动：可完整容纳 95% 的训练文本。"),
    "last_n_layers": ("N layers to train (last-N)", "训练的层数 N（最后 N 层）"),
    "lora_r": ("LoRA rank r (LoRA)", "LoRA 秩 r（LoRA）"),
    "warmup_ratio": ("Warm-up share of steps", "预热步数比例"),
    "weight_decay": ("Weight decay", "权重衰减"),
    "lr_scheduler_type": ("Learning-rate schedule", "学习率调度"),
    "gradient_accumulation_steps": ("Gradient accumulation steps", "梯度累积步数"),
    "early_stopping_patience": ("Early stopping patience (0 = off)", "提前停止耐心值（0 = 关闭）"),
    "evals_per_epoch": ("Evaluations per epoch", "每轮评估次数"),
    "metric_for_best_model": ("Best checkpoint by", "最佳检查点依据"),
    "label_smoothing": ("Label smoothing", "标签平滑"),
    "token_dropout": ("Word dropout (augmentation)", "随机遮词（数据增强）"),
    "token_dropout_info": ("share of each text's tokens hidden at random in every training step; 0 = off",
                           "每个训练步随机遮住每条文本中这一比例的词元；0 = 关闭"),
    "backbone_dropout": ("Dropout inside the model", "模型内部 dropout"),
    "backbone_dropout_auto": ("the model's own", "模型自身的设定"),
    "backbone_dropout_info": ("while it trains (hidden and attention layers); the model's own is usually 0.1",
                              "训练时使用（隐藏层和注意力层）；模型自身的设定通常为 0.1"),
    "truncation": ("Long texts keep", "长文本保留"),
    "truncation_auto": ("automatic", "自动"),
    "truncation_info": ("automatic: beginning and end where texts are longer than the model reads, else the "
                        "beginning", "自动：文本超出模型可读长度时保留开头和结尾，否则保留开头"),
    "truncation_head": ("the beginning", "开头"),
    "head_learning_rate": ("Head learning rate", "分类头学习率"),
    "head_learning_rate_info": ("0 = the same as the learning rate", "0 = 与学习率相同"),
    "layerwise_lr_decay": ("Layer-wise learning-rate decay (0 = automatic)", "逐层学习率衰减（0 = 自动）"),
    "layerwise_lr_decay_info": ("each block below the top learns this times the rate above; automatic: 0.8 for "
                                "full fine-tuning, off otherwise; 1 = off",
                                "顶层以下每一层的学习率是上一层的这个倍数；自动：完整微调用 0.8，其他关闭；1 = 关闭"),
    "hub_name": ("…or a Hugging Face hub data set", "…或 Hugging Face Hub 数据集"),
    "hub_info": ("name[:config[:split]], e.g. imdb; needs the hub", "名称[:配置[:拆分]]，例如 imdb；需要能访问 Hub"),
    "hub_load": ("Load", "加载"),
    "hub_bad_name": ("'{name}' is not a hub data set name: write owner/name, optionally :config and :split.",
                     "“{name}”不是 Hub 数据集名称：请写 owner/name，可选 :config 和 :split。"),
    "adapt_first": ("Adapt the model to my texts first", "先让模型适应我的文本"),
    "adapt_first_info": ("one epoch of masked language modelling before fine-tuning (slower; helps most with "
                         "plenty of unlabelled texts)",
                         "微调前先做一轮掩码语言建模（更慢；有大量无标注文本时最有用）"),
    "adapt_data": ("Unlabelled texts (optional; default: the training texts)", "无标注文本（可选；默认用训练文本）"),
    "report_to": ("Track this run with", "用以下工具跟踪本次运行"),
    "report_to_info": ("local, offline stores; the Train log says how to open the dashboard",
                       "本地离线存储；训练日志会说明如何打开看板"),
    "pooling": ("Text vector for the head", "分类头使用的文本向量"),
    "pooling_auto": ("automatic (mean for the bundled models)", "自动（内置模型用平均）"),
    "pooling_mean": ("mean of the token states", "词元状态的平均"),
    "pooling_cls": ("the model's own ([CLS] / last token)", "模型自带（[CLS] / 最后一个词元）"),
    "refit": ("Refit on train + validation", "在训练集 + 验证集上重新训练"),
    "refit_info": ("after validation has chosen, train once more on both, for the epochs it chose (twice the time)",
                   "验证集做出选择后，在两者上按所选轮数再训练一次（耗时约翻倍）"),
    "ensemble": ("Let validation choose: model, TF-IDF or their mix", "由验证集选择：模型、TF-IDF 或两者组合"),
    "truncation_head_tail": ("beginning and end", "开头和结尾"),
    "truncation_chunk": ("everything (overlapping windows, pooled)", "全部（重叠窗口，汇总）"),
    "mixed_precision": ("Mixed precision", "混合精度"),
    "mixed_precision_info": ("auto: bf16 (or fp16) on a GPU, bf16 on a CPU with bf16 instructions (about twice as "
                             "fast), otherwise fp32",
                             "auto：GPU 上用 bf16（或 fp16），支持 bf16 指令的 CPU 上用 bf16（约快一倍），否则 fp32"),
    "baseline": ("Also train a TF-IDF baseline to compare with", "同时训练 TF-IDF 基线用于对比"),
    "start": ("Start training", "开始训练"),
    "stop": ("Stop", "停止"),
    "resume": ("Resume", "继续训练"),
    "resume_from": ("It can continue from step {step} (its last checkpoint): press **Resume**.",
                    "可从第 {step} 步（最近的检查点）继续：点击**继续训练**。"),
    "resume_from_start": ("It ended before its first checkpoint: **Resume** trains it again from the start.",
                          "它在第一个检查点之前就结束了：**继续训练**会从头重新训练。"),
    "open_train": ("Open in Train", "在“训练”页打开"),
    "resumed_run": ("Resuming {name} from its last checkpoint.", "正在从最近的检查点继续 {name}。"),
    "device": ("Device: **{device}**", "设备：**{device}**"),
    "estimate": ("Estimated time: **{time}** ({rows:,} training texts × {epochs:g} epochs; a first guess from "
                 "earlier runs and how busy this machine is now. Once training starts, the progress bar shows an "
                 "estimate measured on the real steps, updated live).",
                 "预计用时：**{time}**（{rows:,} 条训练文本 × {epochs:g} 轮；根据以往运行和本机当前负载的初步估计。"
                 "训练开始后，进度条会根据实际步骤实时更新预计剩余时间）。"),
    "estimate_none": ("Load data to see a time estimate.", "载入数据后显示预计用时。"),
    "curve_loss": ("Training loss", "训练损失"),
    "curve_validation": ("Validation", "验证集"),
    "curve_step": ("Step", "步数"),
    "curve_loss_axis": ("Loss", "损失"),
    "curve_score": ("Score", "得分"),
    "accuracy": ("accuracy", "准确率"),
    "macro_f1": ("macro-F1", "宏平均 F1"),
    "micro_f1": ("micro-F1", "微平均 F1"),
    "loss": ("loss", "损失"),
    "waiting_first_step": ("The curve appears after the first steps.", "前几步完成后显示曲线。"),
    "waiting_first_eval": ("Appears after the first evaluation.", "首次评估后显示。"),
    "log": ("Log", "日志"),
    "need_data": ("Load data in the Data tab first.", "请先在“数据”页载入数据。"),
    "started_run": ("Started run {name}.", "已开始运行 {name}。"),
    "in_progress": ("A run is in progress: {name}. Wait for it to finish or stop it first.",
                    "已有训练在进行：{name}。请等待其结束或先停止它。"),
    "stop_sent": ("Stopping {name}: it finishes the current step, saves the model and tests it.",
                  "正在停止 {name}：完成当前步后保存模型并在测试集上评估。"),
    "nothing_to_stop": ("No training is running.", "当前没有正在进行的训练。"),
    "progress": ("Step {step} / {total} · {percent:.0%}", "第 {step} / {total} 步 · {percent:.0%}"),
    "progress_early": ("Step {step} / {total} · stopped early: the validation score stopped improving",
                       "第 {step} / {total} 步 · 提前停止：验证集得分不再提升"),
    "eta": ("about {time} left", "约剩 {time}"),
    "status_line": ("**{name}** — {status}", "**{name}** — {status}"),
    "status_starting": ("starting…", "启动中…"),
    "status_started": ("loading data and model…", "正在载入数据和模型…"),
    "status_running": ("training", "训练中"),
    "status_evaluating": ("testing the best checkpoint…", "正在测试最佳检查点…"),
    "status_finished": ("finished ✓", "已完成 ✓"),
    "status_stopped": ("stopped", "已停止"),
    "status_failed": ("failed", "失败"),
    "status_interrupted": ("interrupted (the process died)", "已中断（进程意外结束）"),
    "status_unknown": ("unknown", "未知"),
    "status_stopping": ("stopping…", "正在停止…"),
    "test_result": ("Test accuracy **{accuracy:.3f}**, macro-F1 **{macro_f1:.3f}**.",
                    "测试集准确率 **{accuracy:.3f}**，宏平均 F1 **{macro_f1:.3f}**。"),
    "no_run_yet": ("No run yet. Load data, then press Start.", "还没有运行。载入数据后点击“开始训练”。"),
    # --- evaluate tab
    "evaluate_intro": (
        "How well does a run do on its **test set**, texts it never saw while training?",
        "运行在**测试集**（训练中从未见过的文本）上的表现如何？",
    ),
    "headline": (
        "**{model}** on {samples:,} test texts: accuracy **{accuracy:.3f}**, macro-F1 **{macro_f1:.3f}**, "
        "weighted-F1 {weighted_f1:.3f}.",
        "**{model}** 在 {samples:,} 条测试文本上：准确率 **{accuracy:.3f}**，宏平均 F1 **{macro_f1:.3f}**，"
        "加权 F1 {weighted_f1:.3f}。",
    ),
    "headline_baseline": (
        " The TF-IDF baseline gets {accuracy:.3f} / {macro_f1:.3f}.",
        " TF-IDF 基线为 {accuracy:.3f} / {macro_f1:.3f}。",
    ),
    "no_metrics": ("Run {name} has no test results (yet): {status}.", "运行 {name} 还没有测试结果：{status}。"),
    "cm_view": ("Confusion matrix shows", "混淆矩阵显示"),
    "cm_counts": ("counts", "数量"),
    "cm_normalized": ("share of each true class", "占真实类别的比例"),
    "cm_title": ("Confusion matrix (test set)", "混淆矩阵（测试集）"),
    "cm_title_ml": ("Per-label confusion (test set): each label is a yes/no decision",
                    "逐标签混淆（测试集）：每个标签都是一次是/否判定"),
    "cm_ml_columns": ("true positive|false negative|false positive|true negative", "真阳性|假阴性|假阳性|真阴性"),
    "cm_ml_label": ("Label", "标签"),
    "headline_ml": (
        "**{model}** on {samples:,} test texts (multi-label): micro-F1 **{micro_f1:.3f}**, macro-F1 "
        "**{macro_f1:.3f}**, subset accuracy {subset_accuracy:.3f} (every label right), Hamming loss "
        "{hamming_loss:.3f}.",
        "**{model}** 在 {samples:,} 条测试文本上（多标签）：微平均 F1 **{micro_f1:.3f}**，宏平均 F1 "
        "**{macro_f1:.3f}**，子集准确率 {subset_accuracy:.3f}（所有标签全对），汉明损失 {hamming_loss:.3f}。",
    ),
    "headline_ml_baseline": (" The TF-IDF baseline gets micro-F1 {micro_f1:.3f}, macro-F1 {macro_f1:.3f}.",
                             " TF-IDF 基线：微平均 F1 {micro_f1:.3f}，宏平均 F1 {macro_f1:.3f}。"),
    "decision_ensemble": (
        " Predictions mix the fine-tuned model with the TF-IDF model (weight {weight:.1f} : {rest:.1f}), which did "
        "best on the validation split; the model alone scores {model:.3f} {metric} here.",
        " 预测使用微调模型与 TF-IDF 模型的加权组合（权重 {weight:.1f} : {rest:.1f}），它在验证集上最好；"
        "单独的微调模型在这里的 {metric} 为 {model:.3f}。",
    ),
    "decision_baseline": (
        " Predictions use the TF-IDF model, which beat the fine-tuned model on the validation split; the model "
        "alone scores {model:.3f} {metric} here.",
        " 预测使用 TF-IDF 模型，它在验证集上胜过了微调模型；单独的微调模型在这里的 {metric} 为 {model:.3f}。",
    ),
    "advice_title": ("What to do next", "下一步建议"),
    "threshold_title": ("Decision threshold (two classes)", "判定阈值（二分类）"),
    "threshold_intro": (
        "The positive class is predicted when its probability reaches the threshold. Lower it to catch more of that "
        "class (more false alarms), raise it for fewer false alarms (more misses). Move the slider to see the test "
        "set at that threshold; Save makes Predict, the API and `predict` use it.",
        "当正类概率达到阈值时预测为正类。降低阈值可以抓到更多正类（误报更多），提高阈值误报更少（漏报更多）。"
        "拖动滑块查看测试集在该阈值下的结果；点击保存后，预测页、API 和 `predict` 都会使用它。"),
    "threshold_slider": ("Threshold", "阈值"),
    "threshold_save": ("Save this threshold", "保存此阈值"),
    "threshold_saved": ("Threshold {value:.2f} saved: predictions now use it.",
                        "已保存阈值 {value:.2f}：预测将使用它。"),
    "threshold_demo": ("This is a read-only demo: thresholds cannot be saved here.",
                       "这是只读演示：不能在此保存阈值。"),
    "threshold_rates": (
        "At threshold **{threshold:.2f}** for “{label}”: TPR (caught) **{tpr:.3f}**, FPR (false alarms) **{fpr:.3f}**, "
        "TNR {tnr:.3f}, FNR (missed) {fnr:.3f}.",
        "对“{label}”取阈值 **{threshold:.2f}** 时：TPR（命中率）**{tpr:.3f}**，FPR（误报率）**{fpr:.3f}**，"
        "TNR {tnr:.3f}，FNR（漏报率）{fnr:.3f}。"),
    "threshold_auc": (" ROC AUC {roc_auc:.3f}, PR AUC (average precision) {pr_auc:.3f}.",
                      " ROC AUC {roc_auc:.3f}，PR AUC（平均精确率）{pr_auc:.3f}。"),
    "roc_title": ("ROC curve (test set)", "ROC 曲线（测试集）"),
    "pr_title": ("Precision-recall curve (test set)", "精确率-召回率曲线（测试集）"),
    "threshold_point": ("at the threshold", "当前阈值"),
    "advice_baseline_wins": (
        "The TF-IDF model beat the fine-tuned model on validation ({baseline:.3f} vs {model:.3f} {metric}). To make "
        "fine-tuning pay: train more epochs (for example {epochs_hint}), pick a larger pretrained model from the hub "
        "(for example {bigger}), or label more texts.",
        "在验证集上 TF-IDF 模型胜过了微调模型（{metric} {baseline:.3f} 对 {model:.3f}）。要让微调更有价值："
        "训练更多轮（例如 {epochs_hint} 轮）、从 Hub 选择更大的预训练模型（例如 {bigger}），或标注更多文本。",
    ),
    "advice_ensemble_used": (
        "Predictions mix the fine-tuned model with TF-IDF (weight {weight:.1f} : {rest:.1f}): on the test split the "
        "mix scores {answered:.3f} {metric}, the model alone {model:.3f}, TF-IDF alone {baseline:.3f}.",
        "预测混合了微调模型与 TF-IDF（权重 {weight:.1f} : {rest:.1f}）：测试集上组合的 {metric} 为 {answered:.3f}，"
        "单独的模型 {model:.3f}，单独的 TF-IDF {baseline:.3f}。",
    ),
    "advice_still_improving": (
        "Validation {metric} was still improving at the last evaluation (step {best_step} of {steps}): the model is "
        "likely undertrained. Train more epochs (for example {epochs_hint}).",
        "验证集 {metric} 在最后一次评估时仍在改善（第 {best_step} 步，共 {steps} 步）：模型可能训练不足。"
        "请训练更多轮（例如 {epochs_hint} 轮）。",
    ),
    "advice_stopped_early": (
        "Training stopped early: validation stopped improving after step {best_step}, so more epochs will not help; "
        "more labelled data or a larger model will.",
        "训练提前停止：验证集在第 {best_step} 步之后不再提升，更多轮次帮助不大；更多标注数据或更大的模型会有帮助。",
    ),
    "advice_weak_class": (
        "Class “{label}” is recognised poorly (F1 {f1:.2f} on {support} test texts, {share:.0%} of the data). Weigh "
        "rare classes more (class weights: balanced) or label more of its texts.",
        "类别“{label}”识别较差（{support} 条测试文本上 F1 为 {f1:.2f}，占数据的 {share:.0%}）。"
        "请加大稀有类别的权重（类别权重：balanced）或为它标注更多文本。",
    ),
    "advice_small_data": (
        "Only {train} training texts: fine-tuning gains most from more labelled data (a few hundred per class).",
        "只有 {train} 条训练文本：微调最需要更多标注数据（每个类别几百条）。",
    ),
    "advice_model_beats_baseline": (
        "The fine-tuned model beats the TF-IDF model on the test split ({model:.3f} vs {baseline:.3f} {metric}).",
        "微调模型在测试集上胜过 TF-IDF 模型（{metric} {model:.3f} 对 {baseline:.3f}）。",
    ),
    "vs_answered": ("what predictions use", "预测实际使用"),
    "micro_avg": ("micro average", "微平均"),
    "cm_predicted": ("Predicted", "预测"),
    "cm_true": ("True", "真实"),
    "vs_title": ("Fine-tuned model vs. TF-IDF baseline (test set)", "微调模型与 TF-IDF 基线对比（测试集）"),
    "vs_model": ("fine-tuned", "微调模型"),
    "vs_baseline": ("TF-IDF baseline", "TF-IDF 基线"),
    "report": ("Classification report (test set)", "分类报告（测试集）"),
    "col_class": ("class", "类别"),
    "col_precision": ("precision", "精确率"),
    "col_recall": ("recall", "召回率"),
    "col_f1": ("F1", "F1"),
    "col_support": ("texts", "文本数"),
    "macro_avg": ("macro average", "宏平均"),
    "weighted_avg": ("weighted average", "加权平均"),
    "errors": ("Misclassified test texts", "分错的测试文本"),
    "error_filter": ("Show", "显示"),
    "error_filter_info": ("Click a cell of the table above (true row, predicted column) to list its texts, or "
                          "pick a pair here: true → predicted.",
                          "点击上方表格中的一个单元格（真实行、预测列）可列出其中的文本，或在此选择：真实 → 预测。"),
    "cm_table": ("Confusion matrix: click a cell to list its texts", "混淆矩阵：点击单元格可列出其中的文本"),
    "cm_corner": ("true ↓ · predicted →", "真实 ↓ · 预测 →"),
    "all_errors": ("all errors ({n})", "全部错误（{n}）"),
    "cell_right": ("{gold} → {gold}: right ({n})", "{gold} → {gold}：预测正确（{n}）"),
    "col_text": ("text", "文本"),
    "col_gold": ("true", "真实"),
    "col_predicted": ("predicted", "预测"),
    "col_confidence": ("confidence", "置信度"),
    "curves": ("Training curves", "训练曲线"),
    # --- predict tab
    "predict_intro": (
        "Type a text and see what the model says. The result updates as you type.",
        "输入一段文本，查看模型的判断。结果会随输入实时更新。",
    ),
    "text_input": ("Text to classify", "要分类的文本"),
    "text_placeholder": ("Type an SMS message or a news title…", "输入一条短信或新闻标题…"),
    "classify": ("Classify", "分类"),
    "onnx_export": ("Export for fast CPU prediction (ONNX)", "导出为 ONNX（CPU 上预测更快）"),
    "onnx_offer": ("<small>Answered by PyTorch. Export the model to ONNX Runtime for faster prediction on a CPU "
                   "(6x in bench/RESULTS.md, same labels; about 10-20 s, once)?</small>",
                   "<small>当前由 PyTorch 预测。要把模型导出到 ONNX Runtime 吗？"
                   "在 CPU 上预测更快（bench/RESULTS.md 中为 6 倍，标签相同；约 10–20 秒，只需一次）。</small>"),
    "onnx_used": ("<small>Answered by ONNX Runtime (the run's ONNX export, on the CPU).</small>",
                  "<small>由 ONNX Runtime 预测（该运行的 ONNX 导出，CPU）。</small>"),
    "onnx_done": ("<small>Exported {run} for ONNX Runtime; predictions on the CPU use it from now on.</small>",
                  "<small>已将 {run} 导出为 ONNX；此后 CPU 上的预测都使用它。</small>"),
    "onnx_demo": ("This public app does not export models.", "此公开应用不导出模型。"),
    "prediction": ("Prediction (all classes with their probabilities)", "预测结果（各类别及其概率）"),
    "ml_threshold": ("Decision threshold (multi-label runs; 0 = each label's own, tuned on validation)",
                     "判定阈值（多标签模型；0 = 使用在验证集上为每个标签调好的阈值）"),
    "ml_labels": ("**Labels:** {labels}  \n<small>A label is given when its probability reaches {rule}.</small>",
                  "**标签：** {labels}  \n<small>概率达到{rule}即给出该标签。</small>"),
    "ml_none": ("none (no label reaches its threshold)", "无（没有标签达到阈值）"),
    "ml_rule_tuned": ("its own threshold (tuned on validation)", "该标签自己的阈值（在验证集上调定）"),
    "ml_rule_global": ("{value:.2f}", "{value:.2f}"),
    "examples": ("Examples", "示例"),
    "batch": ("Classify a whole file", "批量分类文件"),
    "batch_info": (
        "A table with a text column (CSV, TSV, JSONL, XLSX) or a .txt file with one text per line.",
        "带文本列的表格（CSV、TSV、JSONL、XLSX），或每行一条文本的 .txt 文件。",
    ),
    "batch_need_file": ("Choose a file of texts first.", "请先选择一个文本文件。"),
    "batch_file": ("File of texts", "文本文件"),
    "batch_run": ("Classify file", "分类文件"),
    "batch_download": ("Download results (CSV)", "下载结果（CSV）"),
    "batch_preview": ("Results (first rows)", "结果（前几行）"),
    "batch_done": ("Classified {n:,} texts.", "已分类 {n:,} 条文本。"),
    "why": ("Why this label", "为什么是这个标签"),
    "why_info": (
        "Each word coloured by how much it pushed the model towards the class (red) or away from it (purple), scaled "
        "so the strongest word is ±1 (Integrated Gradients on the fine-tuned model's logit).",
        "每个词按它把模型推向该类别（红）或推离该类别（紫）的程度着色，最强的词为 ±1"
        "（对微调模型 logit 的积分梯度）。",
    ),
    "why_class": ("Explain the class", "解释的类别"),
    "why_row": ("Why the model gave this label (click a row above)", "模型为什么给出这个标签（点击上方的一行）"),
    "why_predicted": ("the predicted class", "预测的类别"),
    "why_words": ("Words for and against", "支持与反对的词"),
    "why_note": ("Explaining **{target}** (probability {probability:.3f}). Most for it: {towards}. Most against: "
                 "{away}.", "解释 **{target}**（概率 {probability:.3f}）。最支持：{towards}。最反对：{away}。"),
    "why_none": ("none", "无"),
    "why_ensemble": ("The run's answer also mixes in the TF-IDF model, which is not explained here.",
                     "该运行的答案还混合了 TF-IDF 模型，这里不解释它。"),
    "why_baseline": ("This run answers with the TF-IDF model alone; the colours explain the fine-tuned model, which "
                     "does not answer.", "该运行只用 TF-IDF 模型作答；颜色解释的是不参与作答的微调模型。"),
    "why_windows": ("The text is long: the first {shown} of its {total} windows are explained.",
                    "文本较长：只解释了 {total} 个窗口中的前 {shown} 个。"),
    "no_model_runs": ("No trained model yet. Train one in the Train tab.", "还没有训练好的模型。请先在“训练”页训练。"),
    "pick_run": ("Pick a run first.", "请先选择一个运行。"),
    "unexpected_error": ("Something went wrong ({summary}). This is a bug in Text Classifier Studio; the details "
                         "are in the server's log.",
                         "出错了（{summary}）。这是 Text Classifier Studio 的缺陷，详情见服务器日志。"),
    # --- runs tab
    "runs_intro": ("Every training run, newest first. Pick one to open, download or delete; a stopped or "
                   "interrupted run can be resumed from the Train tab.",
                   "所有训练运行，最新的在前。选择一个可打开、下载或删除；已停止或中断的运行可在“训练”页继续训练。"),
    "runs_table": ("Runs", "运行记录"),
    "col_run": ("run", "运行"),
    "col_status": ("status", "状态"),
    "col_model": ("model", "模型"),
    "col_data": ("data", "数据"),
    "col_strategy": ("strategy", "方式"),
    "col_started": ("started", "开始时间"),
    "col_accuracy": ("accuracy", "准确率"),
    "col_macro_f1": ("macro-F1", "宏平均 F1"),
    "col_rank": ("rank", "名次"),
    "compare_title": ("Compare runs side by side", "并排比较运行"),
    "compare_intro": ("Pick two or more runs: their test scores, the settings that differ (highlighted), their "
                      "validation curves and the F1 of each class.",
                      "选择两个或更多运行：查看它们的测试得分、不同的设置（高亮）、验证曲线和每个类别的 F1。"),
    "compare_pick": ("Runs to compare", "要比较的运行"),
    "compare_button": ("Compare", "比较"),
    "compare_metrics": ("Test set", "测试集"),
    "compare_settings": ("Settings (● = differs)", "设置（● = 不同）"),
    "compare_two": ("Pick at least two runs to compare.", "请至少选择两个运行进行比较。"),
    "compare_same_data": ("Same data, so the test scores compare directly. Settings that differ: {differing}.",
                          "数据相同，测试得分可直接比较。不同的设置：{differing}。"),
    "compare_other_data": ("⚠ These runs were trained on different data, so their test sets differ too: compare "
                           "the scores with care. Settings that differ: {differing}.",
                           "⚠ 这些运行使用的数据不同，测试集也不同：比较得分时请谨慎。不同的设置：{differing}。"),
    "compare_nothing_differs": ("none", "无"),
    "cmp_metric": ("test set", "测试集"),
    "cmp_setting": ("setting", "设置"),
    "cmp_accuracy": ("accuracy", "准确率"),
    "cmp_macro_f1": ("macro-F1 (what the run answers)", "宏平均 F1（运行实际采用的预测）"),
    "cmp_micro_f1": ("micro-F1", "微平均 F1"),
    "cmp_weighted_f1": ("weighted F1", "加权 F1"),
    "cmp_model_only_macro_f1": ("macro-F1, fine-tuned model alone", "宏平均 F1（仅微调模型）"),
    "cmp_baseline_macro_f1": ("macro-F1, TF-IDF baseline", "宏平均 F1（TF-IDF 基线）"),
    "cmp_decision": ("answers with", "预测采用"),
    "cmp_best_step": ("best step (validation)", "最佳步数（验证集）"),
    "cmp_steps_trained": ("steps trained", "训练步数"),
    "cmp_train_seconds": ("training time (s)", "训练时间（秒）"),
    "cmp_precision": ("precision trained in", "训练精度"),
    "cmp_curves": ("Validation macro-F1", "验证集宏平均 F1"),
    "cmp_f1": ("Test F1 per class", "每个类别的测试 F1"),
    "leaderboard_title": ("Leaderboard: runs on the same data, best first", "排行榜：相同数据上的运行，最佳在前"),
    "selected_run": ("Selected run", "选中的运行"),
    "open_evaluate": ("Open in Evaluate", "在“评估”中打开"),
    "open_predict": ("Use in Predict", "在“预测”中使用"),
    "zip": ("Zip the model", "打包模型"),
    "zip_download": ("Download model (.zip)", "下载模型（.zip）"),
    "zip_ready": ("{name}: the model is ready to download ({size}).", "{name}：模型已可下载（{size}）。"),
    "delete": ("Delete run…", "删除运行…"),
    "delete_confirm": ("Delete **{name}** for good? Its model, metrics and log are removed.",
                       "确定永久删除 **{name}** 吗？其模型、指标和日志都会被删除。"),
    "delete_yes": ("Yes, delete", "确认删除"),
    "delete_cancel": ("Cancel", "取消"),
    "deleted": ("Deleted {name}.", "已删除 {name}。"),
    "delete_running": ("{name} is still training (process {pid}, started here or on the command line), so it is not "
                       "deleted. Stop it first (Stop in the Train tab, or python -m classifier stop --run {name}) "
                       "and wait until it has stopped.",
                       "{name} 仍在训练（进程 {pid}，由本应用或命令行启动），因此不会删除。请先停止它（“训练”页的"
                       "“停止”，或 python -m classifier stop --run {name}），等它停下后再删除。"),
    # --- reliability and security
    "stop_already": ("{name} is already stopping: it finishes the current step, saves the model and tests it. "
                     "There is no need to press Stop again.",
                     "{name} 已在停止中：完成当前一步后保存模型并测试。无需再次点击“停止”。"),
    "upload_too_big": ("{name} is {size} MB; this app accepts files up to {limit} MB. Upload a smaller file (for "
                       "example a sample of the rows), or ask whoever runs the app to raise CLASSIFIER_MAX_UPLOAD_MB.",
                       "{name} 大小为 {size} MB；本应用只接受不超过 {limit} MB 的文件。"
                       "请上传更小的文件（例如抽取部分行），或请应用管理员调高 CLASSIFIER_MAX_UPLOAD_MB。"),
    "upload_bad_type": ("{name}: files of type “{ext}” are not accepted. Save the data as one of {types} and upload "
                        "that.",
                        "{name}：不接受“{ext}”类型的文件。请把数据另存为以下格式之一后再上传：{types}。"),
    "upload_missing": ("The uploaded file is no longer on the server (it may have been cleaned up). Upload it again.",
                       "服务器上已找不到上传的文件（可能已被清理）。请重新上传。"),
    "demo_banner": ("**Demo mode**: this app is read-only. You can classify texts with the trained models and look at "
                    "their results; training and deleting runs are switched off.",
                    "**演示模式**：本应用只读。可以用已训练的模型分类文本、查看结果；训练和删除运行已关闭。"),
    "login_note": ("{failures} wrong passwords for a user name within {window} seconds lock it for {lockout} seconds.",
                   "同一用户名在 {window} 秒内输错 {failures} 次密码，将被锁定 {lockout} 秒。"),
    "demo_refused": ("This app runs in read-only demo mode (CLASSIFIER_DEMO): training and deleting are switched off.",
                     "本应用运行在只读演示模式（CLASSIFIER_DEMO）：训练和删除已关闭。"),
}


# Texts that quote the engine's own defaults and catalog, so they cannot drift from it.
from ..backbones import BUNDLED, HUB_SUGGESTIONS  # noqa: E402
from ..config import default_learning_rate  # noqa: E402

_rates = {"full": default_learning_rate("full"), "last_n": default_learning_rate("last-n"),
          "head": default_learning_rate("head"), "lora": default_learning_rate("lora"),
          "e5": default_learning_rate("full", "multilingual-e5-small")}
TEXTS["learning_rate_info"] = tuple(text.format(**_rates) for text in TEXTS["learning_rate_info"])

_KIND = {"decoder": (" · GPT-style decoder", " · GPT 式解码器"), "encoder": ("", "")}
for _b in BUNDLED.values():
    _en, _zh = _KIND.get(_b.kind, ("", ""))
    TEXTS[f"model:{_b.name}"] = (f"{_b.name} · {_b.languages} · {_b.params}{_en} · bundled, works offline",
                                 f"{_b.name} · {_b.languages} · {_b.params}{_zh} · 自带，离线可用")
for _b in HUB_SUGGESTIONS.values():
    _en, _zh = _KIND.get(_b.kind, ("", ""))
    TEXTS[f"model:{_b.name}"] = (f"{_b.name} · {_b.languages} · {_b.params}{_en} · from the hub (internet)",
                                 f"{_b.name} · {_b.languages} · {_b.params}{_zh} · 从 Hub 下载（需联网）")
TEXTS["model:auto"] = ("auto: chosen by the data's language", "自动：按数据的语言选择")


# Keys are prefixed in the browser: Gradio's own translations use names such as "errors" or "file" for whole
# groups of messages, and a bare key of ours with such a name would show "[object Object]".
PREFIX = "tcs_"


def _table(index: int) -> dict[str, str]:
    return {PREFIX + key: values[index] for key, values in TEXTS.items()}


I18N = gr.I18n(en=_table(0), **{"zh-CN": _table(1)})


def t(key: str) -> gr.i18n.I18nData:
    """A static label, translated in the browser."""
    if key not in TEXTS:
        raise KeyError(f"no text {key!r} in classifier/webui/i18n.py")
    return I18N(PREFIX + key)


def lang_of(value: str | None) -> str:
    """'zh-CN' for any Chinese locale the page reports (zh, zh-CN, zh-Hans...), else 'en'."""
    return "zh-CN" if (value or "").lower().startswith("zh") else "en"


def tr(lang: str | None, key: str, **values) -> str:
    """A text made on the server, in the page's language."""
    text = TEXTS[key][1 if lang_of(lang) == "zh-CN" else 0]
    return text.format(**values) if values else text


def status_word(lang: str | None, status: str) -> str:
    """A run status (finished, running, ...) in words; an unknown status as it is."""
    key = f"status_{status}"
    return tr(lang, key) if key in TEXTS else status


def duration(seconds: float | None, lang: str | None = None) -> str:
    """'45 s', '3 min', '1 h 20 min' (or 秒/分钟/小时)."""
    if seconds is None:
        return "–"
    zh = lang_of(lang) == "zh-CN"
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} 秒" if zh else f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if zh else f"{hours} h {minutes} min"
