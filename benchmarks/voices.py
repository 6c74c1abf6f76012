"""Readers' comments and quotes on real pages: precision and recall against hand labels.

    python benchmarks/voices.py PAGES_DIR... --labels LABELS.json [--show]
    python benchmarks/voices.py PAGES_DIR... --draft DRAFT.json --show   # a start for labelling

Every ``.html``/``.htm`` file in the folders goes through the extraction ``ingest`` and ``collect
pages`` use (:func:`sentiment.sources.web.parse_article`): its ``comment`` documents (readers'
comments) and ``quote`` documents (embedded social posts, and sentences quoting a named forum or
social-media user) are compared with the labels. A ``.txt`` file is read as article text (what a
text-only copy of a page allows): only its quotes count. Pages are read where they lie; nothing
is copied, and the labels hold no page text.

Labels (JSON): ``{"pages": {FILE NAME: {"comment": [KEY, ...], "quote": [KEY, ...]}}}``, one KEY
per item a careful reader finds on the page: :func:`key` of its text (the first eight words,
lower-cased, hashed), so a labels file can be shared without the pages' words. A page absent
from the labels is not scored; a labelled page with no item lists ``[]`` (anything found on it is
a false positive). ``--draft`` writes the extractor's own output in this form with ``--show``
printing each item, for a person to correct (delete what is wrong, add what was missed) before
it is used as labels.

Prints per page and in total: found, labelled and matched items per kind, precision (matched /
found) and recall (matched / labelled); ``--show`` lists the misses and false positives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment.sources.page import decode_html  # noqa: E402
from sentiment.sources.web import parse_article  # noqa: E402

VOICE_KINDS = ("comment", "quote")


def key(text: str) -> str:
    """A label key: the first eight words of an item's text, lower-cased, hashed (12 hex digits)."""
    words = " ".join(text.lower().split()[:8])
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:12]


def voices(path: Path) -> dict[str, list[str]]:
    """The comment and quote texts the extraction finds in one page file."""
    html = path.suffix.lower() in (".html", ".htm")
    raw = decode_html(path.read_bytes())
    parsed = parse_article(raw, external_id=path.stem, is_html=html)
    found: dict[str, list[str]] = {kind: [] for kind in VOICE_KINDS}
    for doc in parsed.documents:
        if doc.kind in found and (html or doc.kind == "quote"):
            found[doc.kind].append(doc.text)
    return found


def score(found: list[str], labelled: list[str]) -> tuple[int, list[str], list[str]]:
    """Matched count, the found texts matching no label, and the labels nothing matched."""
    left = Counter(labelled)
    wrong = []
    for text in found:
        k = key(text)
        if left[k] > 0:
            left[k] -= 1
        else:
            wrong.append(text)
    missed = [k for k, n in left.items() for _ in range(n)]
    return len(found) - len(wrong), wrong, missed


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of .html/.htm pages and .txt articles")
    parser.add_argument("--labels", type=Path, help="the hand labels (JSON, see above)")
    parser.add_argument("--draft", type=Path, help="write the extractor's output as a labels draft")
    parser.add_argument("--show", action="store_true", help="print the items (false positives and misses)")
    args = parser.parse_args()
    if not args.labels and not args.draft:
        parser.error("give --labels FILE to score, or --draft FILE to start labelling")
    files = sorted(p for folder in args.folders for p in folder.iterdir()
                   if p.suffix.lower() in (".html", ".htm", ".txt"))
    missing = [str(f) for f in args.folders if not f.is_dir()]
    if missing:
        parser.error(f"not a folder: {', '.join(missing)}")
    if args.draft:
        draft = {"pages": {}}
        for path in files:
            found = voices(path)
            draft["pages"][path.name] = {kind: [key(t) for t in found[kind]] for kind in VOICE_KINDS}
            if args.show:
                for kind in VOICE_KINDS:
                    for text in found[kind]:
                        print(f"{path.name}\t{kind}\t{key(text)}\t{' '.join(text.split())[:140]}")
        args.draft.write_text(json.dumps(draft, indent=1) + "\n", encoding="utf-8")
        print(f"draft of {len(files)} pages written to {args.draft}; correct it by hand before scoring")
        return
    labels = json.loads(args.labels.read_text(encoding="utf-8"))["pages"]
    totals = {kind: Counter() for kind in VOICE_KINDS}
    print(f"{'page':44} " + "  ".join(f"{k + 's found/labelled/matched':>30}" for k in VOICE_KINDS))
    for path in files:
        if path.name not in labels:
            continue
        found = voices(path)
        cells, notes = [], []
        for kind in VOICE_KINDS:
            labelled = labels[path.name].get(kind, [])
            if path.suffix.lower() == ".txt" and kind == "comment":
                cells.append(f"{'–':>30}")
                continue
            matched, wrong, missed = score(found[kind], labelled)
            totals[kind].update(found=len(found[kind]), labelled=len(labelled), matched=matched, pages=1)
            cells.append(f"{len(found[kind]):>18}/{len(labelled)}/{matched}".rjust(30))
            notes += [f"  false {kind}: {' '.join(text.split())[:140]}" for text in wrong]
            notes += [f"  missed {kind}: label {k}" for k in missed]
        if any(labels[path.name].get(k) for k in VOICE_KINDS) or any(found[k] for k in VOICE_KINDS):
            print(f"{path.name[:44]:44} " + "  ".join(cells))
        if args.show:
            print("\n".join(notes)) if notes else None
    unscored = [p.name for p in files if p.name not in labels]
    print()
    for kind in VOICE_KINDS:
        t = totals[kind]
        print(f"{kind}s: {t['found']} found, {t['labelled']} labelled, {t['matched']} matched on {t['pages']} pages: "
              f"precision {_ratio(t['matched'], t['found'])}, recall {_ratio(t['matched'], t['labelled'])}")
    found = sum(t["found"] for t in totals.values())
    labelled = sum(t["labelled"] for t in totals.values())
    matched = sum(t["matched"] for t in totals.values())
    print(f"all: precision {_ratio(matched, found)}, recall {_ratio(matched, labelled)}"
          + (f" ({len(unscored)} files without labels not scored)" if unscored else ""))


if __name__ == "__main__":
    main()
