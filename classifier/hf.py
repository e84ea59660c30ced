"""The transformers names this package uses outside a training process, resolved here, once.

transformers 5 resolves its top-level names lazily, and two threads resolving names at the same time can fail
("ImportError: cannot import name 'AutoConfig' from 'transformers'": the second thread is handed a module that
the first is still initialising; the transformers 5 lazy-module race, seen by vLLM and others). The app serves
visitors from several threads, so every module that may run in one takes these names from here: Python's import
lock lets one thread run this module while any other that imports it waits, and once it has run, every name is
an attribute of its module, with nothing left to resolve lazily. peft is imported here too: its import resolves
transformers names of its own. Training code (classifier.training, adapt) runs in a process of its own;
classifier.training imports this module before the Trainer."""

from __future__ import annotations

from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    PreTrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)
from transformers.modeling_outputs import SequenceClassifierOutput
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES
from transformers.utils import logging

__all__ = [
    "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_MASKED_LM_MAPPING_NAMES", "AutoConfig", "AutoModel",
    "AutoModelForCausalLM", "AutoModelForSequenceClassification", "AutoTokenizer", "BertConfig", "PreTrainedConfig",
    "PreTrainedModel", "PreTrainedTokenizerFast", "SequenceClassifierOutput", "logging",
    "LoraConfig", "PeftModel", "TaskType", "get_peft_model",
]
