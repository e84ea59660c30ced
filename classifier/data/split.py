"""Stratified train/validation/test indices (seeded; classes too small to stratify stay in train), and the
training split's balancing and subsampling. Multi-label rows are stratified by their rarest label."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_PER_CLASS_FOR_SPLIT = 3  # one each for train, validation and test



def stratified_split(labels: np.ndarray, fractions: tuple[float, float], seed: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Indices for train, validation, test; each class is split by itself so class shares stay the same.

    A class with fewer than 3 rows cannot appear in all three splits: all of its rows go to train, and its id
    is returned so the caller can say so.
    """
    val_frac, test_frac = fractions
    rng = np.random.default_rng(seed)
    train, val, test, too_small = [], [], [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        n = len(idx)
        wants = (val_frac > 0) + (test_frac > 0)
        if n < 1 + wants:
            too_small.append(int(label))
            train.extend(idx)
            continue
        n_test = max(1, round(n * test_frac)) if test_frac > 0 else 0
        n_val = max(1, round(n * val_frac)) if val_frac > 0 else 0
        while n - n_test - n_val < 1:  # keep at least one for training
            if n_val > 1:
                n_val -= 1
            else:
                n_test -= 1
        test.extend(idx[:n_test])
        val.extend(idx[n_test:n_test + n_val])
        train.extend(idx[n_test + n_val:])
    return (rng.permutation(np.array(train, dtype=int)), np.array(sorted(val), dtype=int),
            np.array(sorted(test), dtype=int), too_small)



def _rarest_label_keys(label_ids: pd.Series, n_labels: int) -> np.ndarray:
    """One stratification key per row: its rarest label (rows without labels share a key of their own)."""
    counts = np.zeros(n_labels + 1, dtype=int)
    for ids in label_ids:
        counts[list(ids) or [n_labels]] += 1
    return np.array([min(ids, key=lambda i: counts[i]) if ids else n_labels for ids in label_ids])



def _downsample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    counts = frame["label"].value_counts()
    # a class of one or two rows must not shrink every other class to its size
    usable = counts[counts >= MIN_PER_CLASS_FOR_SPLIT]
    smallest = int(usable.min()) if len(usable) else int(counts.min())
    parts = [group.sample(n=min(smallest, len(group)), random_state=seed) for _, group in frame.groupby("label")]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)



def _subsample(frame: pd.DataFrame, n: int, seed: int, keys: np.ndarray | None = None) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    share = n / len(frame)
    keys = frame["label"].to_numpy() if keys is None else keys
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=seed)
             for _, group in frame.groupby(keys)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)
