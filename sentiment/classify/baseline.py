"""The rule baseline: the stance guide's cues as weighted patterns.

It is the honest floor the trained transformer must beat, and it needs no model weights, so the
pipeline runs anywhere. It cannot read irony it has no cue for, nor stance that is only implied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from sentiment.classify.base import Prediction
from sentiment.settings import LABELS

# (pattern, weight) per label, from STANCE_GUIDE.md's cues and rules.
_CUES: dict[str, list[tuple[str, float]]] = {
    "concern": [
        (r"\b(sad|sadly|tragic|tragedy|rip|mourn\w*|heartbreak\w*|gutted|devastat\w*)\b", 1.4),
        (r"\b(worr(y|ied|ying|ies)|fear(s|ed|ful)?|afraid|scared|alarm\w*|anxious|nervous|uneasy)\b", 1.5),
        (r"\b(bad (news|sign|day) for|bad for|loss for|blow (to|for)|end of an era|dark (day|times))\b", 1.5),
        (r"\b(brain drain|go(ing|es)? closed|close[sd]? the weights|api[- ]only|paywall\w*|lock(ed)? down)\b", 0.9),
        (r"\b(hope (this|it) doesn'?t|hope not|i really hope they don'?t|what happens to|future of)\b", 0.8),
        (r"\b(stunt|kill(s|ed|ing)?|hurt(s|ing)?|damag\w*|collapse|decline|die|dead|dying)\b", 0.6),
        (r"\b(unfortunately|shame|pity|miss (them|him|it))\b", 0.8),
        (r"\b(another one|loses|losing|lost|rot(s|ting)?|gone|shorter|risk(s|y)?|uncertain\w*|concern\w*)\b", 0.7),
    ],
    "skepticism": [
        (r"\b(doubt\w*|skeptic\w*|sceptic\w*|dubious|suspicious|sus)\b", 1.5),
        (r"\b(don'?t|do not|never) (believe|buy|trust)\b|\bbelieve it when\b", 1.6),
        (r"\b(pr|marketing|press release|corporate speak|damage control|spin|smoke ?screen|cope)\b", 1.0),
        (r"\b(gam(ed|ing) (the )?benchmarks?|benchmarks? (are|were) gamed|benchmaxx\w*|overfit\w*|contaminat\w*)\b", 1.4),
        (r"\b(of course|told you|called it|as expected|surprise,? surprise|what did you expect|yeah,? right|sure,? jan)\b", 1.3),
        (r"\b(never (really )?(was|were) (really )?open|not really open|open[- ]washing|so[- ]called)\b", 1.4),
        (r"\b(official (reason|story|line)|personal reasons|totally (not|voluntary))\b", 1.1),
        (r"\b(i'?m sure|oh great|oh sure|what could (possibly )?go wrong|/s)\b", 1.1),
        (r"\b(will they (even|actually|really)|do you (really|honestly) think|(really|actually) expect)\b", 1.2),
        (r"\b(hype|vaporware|won'?t (happen|be released|ship)|never (ship|release|happen)\w*)\b", 1.0),
        (r"\b(excuse\w*|at this point|is the new|lol|lmao|allegedly|supposedly|convenient(ly)?)\b", 0.8),
        (r"\b(follow the money|do the math|cash grab|squeez\w*|monetiz\w*|enshittif\w*|rug ?pull\w*)\b", 1.0),
        (r"^\s*(sure|right|riiight|yeah)\b|['‘][^'’]{3,60}['’] (means|is code|lol|translation)", 0.9),
    ],
    "support": [
        (r"\b(thanks?|thank you|thx|grateful|kudos|props|respect|salute)\b", 1.6),
        (r"\b(great|amazing|awesome|excellent|impressive|incredible|fantastic|brilliant|love[ds]?)\b", 1.0),
        (r"\b(good luck|best of luck|wish (them|him|you)|rooting for|congrat\w*|well deserved)\b", 1.5),
        (r"\b(land on (their|his) feet|bright side|optimistic|hopeful|i hope they (still|can|will))\b", 1.5),
        (r"\b(good (move|call|decision)|makes sense|deserve[sd]?|legend(s|ary)?|goat)\b", 1.0),
        (r"\b(still (the )?best|best (local|open|small) model|game ?changer|daily driver)\b", 1.2),
        (r"\b(glad|happy|excited|can'?t wait|fair enough|reasonable|better than i expected|ship it|well done|good for)\b", 1.0),
    ],
    "neutral": [
        (r"^\s*(source|link|sauce|context)\s*\??\s*$", 2.0),
        (r"\b(quant|gguf|q4|q8|awq|exl2|vram|llama\.cpp|ollama|vllm|tokens?/s|context length|fine-?tun\w*)\b", 0.7),
        (r"\b(which|what|how|where|when) (quant|version|model|size|settings?|template)\b", 0.8),
        (r"\b(posted|announced|reported|according to|tweet(ed)?|on x)\b", 0.4),
    ],
}
_COMPILED = {label: [(re.compile(p, re.IGNORECASE), w) for p, w in cues] for label, cues in _CUES.items()}
_NEUTRAL_PRIOR = 0.45
_TEMPERATURE = 0.8


def _scores(text: str) -> list[float]:
    scores = [0.0] * len(LABELS)
    for i, label in enumerate(LABELS):
        scores[i] = sum(w for pattern, w in _COMPILED[label] if pattern.search(text))
    scores[LABELS.index("neutral")] += _NEUTRAL_PRIOR
    stripped = text.strip()
    if stripped.endswith("?") and not any(scores[i] for i in range(3)):
        scores[LABELS.index("neutral")] += 0.5  # a plain question asks for facts
    return scores


def _softmax(scores: list[float]) -> tuple[float, float, float, float]:
    top = max(scores)
    exps = [math.exp((s - top) / _TEMPERATURE) for s in scores]
    total = sum(exps)
    return tuple(e / total for e in exps)  # type: ignore[return-value]


class RuleBaseline:
    """Cue-counting baseline following STANCE_GUIDE.md; ignores the thread title."""

    model_version = "baseline-rules-1"

    def predict(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        return [Prediction(_softmax(_scores(text or ""))) for text in texts]
