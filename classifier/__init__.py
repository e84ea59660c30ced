"""Text Classifier Studio: fine-tune a pretrained transformer on a labelled text file, offline.

The engine is plain Python (no gradio): `classifier.data` reads and splits files, `classifier.training` runs
HF `Trainer`, `classifier.predict.Predictor` serves a trained run. `python -m classifier --help` is the CLI.
"""

__version__ = "0.1.0"
