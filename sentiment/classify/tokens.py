"""Turning (thread title, comment) pairs into padded token batches, shared by training and inference.

Texts are tokenised once without padding, then grouped by length so a batch pads only to its
own longest member: short comments no longer pay for the longest one in the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def encode(tokenizer, texts: Sequence[str], titles: Sequence[str | None] | None,
           max_length: int) -> list[list[int]]:
    """Token ids per text; a text with a title is encoded as the pair (title, text)."""
    titles = list(titles) if titles is not None else [None] * len(texts)
    ids: list[list[int] | None] = [None] * len(texts)
    paired = [i for i, t in enumerate(titles) if t]
    single = [i for i, t in enumerate(titles) if not t]
    if paired:
        out = tokenizer([titles[i] for i in paired], [texts[i] for i in paired],
                        truncation="longest_first", max_length=max_length)
        for i, row in zip(paired, out["input_ids"]):
            ids[i] = row
    if single:
        out = tokenizer([texts[i] for i in single], truncation=True, max_length=max_length)
        for i, row in zip(single, out["input_ids"]):
            ids[i] = row
    return ids  # type: ignore[return-value]


def pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """``input_ids`` and ``attention_mask`` arrays padded to the longest row."""
    width = max(len(r) for r in rows)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, :len(row)] = row
        mask[i, :len(row)] = 1
    return input_ids, mask


def sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices in batches of similar length (for inference; order restored by the caller)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator,
                     bucket: int = 50) -> list[list[int]]:
    """Shuffled training batches whose members have similar lengths.

    Shuffle, sort within chunks of ``bucket`` batches, cut into batches, shuffle the batches:
    random enough to train well, tight enough to waste little padding.
    """
    order = rng.permutation(len(lengths)).tolist()
    chunk = batch_size * bucket
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches.extend(part[j:j + batch_size] for j in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches
