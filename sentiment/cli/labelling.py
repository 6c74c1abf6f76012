"""``sentiment label``: label stored comments by hand, for training or as a random audit."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from sentiment.cli.output import console
from sentiment.cli.session import open_existing, open_writer, settings_of
from sentiment.store.summary import label_count


_KEYS = {"c": "concern", "s": "skepticism", "p": "support", "n": "neutral"}


def label(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Stop after this many comments.")] = 20,
    export: Annotated[Optional[Path], typer.Option("--export", help="Write all your labels to this JSONL file and stop.")] = None,
    import_: Annotated[Optional[Path], typer.Option("--import", help="Read labels from this JSONL file and stop.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random half of the queue (or of the audit draw).")] = 0,
    audit: Annotated[Optional[int], typer.Option(
        "--audit", help="Label an audit instead: N comments drawn uniformly at random, to measure the "
                        "classifier and correct its shares (never trained on).")] = None,
    event: Annotated[Optional[str], typer.Option(
        "--event", help="With --audit: draw N from the week before and N from the week after this event.")] = None,
    since: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="With --audit: from this day.")] = None,
    until: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="With --audit: to this day.")] = None,
) -> None:
    """Label stored comments one at a time, half the model's least sure and half drawn at random;
    `sentiment train` learns from them. With --audit N, label a uniform random audit that
    corrects the reported shares instead.

    Keys: c concern, s skepticism, p support, n neutral, k skip, q quit.
    """
    from sentiment.classify import labels as user_labels
    from sentiment.classify.jsonl import LabelFileError

    settings = settings_of(ctx)
    if import_ is not None and not import_.is_file():
        raise typer.BadParameter(f"{import_}: no such file", param_hint="--import")
    # importing labels may start a database (labels need no documents); everything else needs one
    with (open_writer(settings) if import_ is not None else open_existing(settings)) as con:
        if export is not None:
            n = user_labels.export_labels(con, export)
            console.print(f"exported {n} labels to {export}")
            return
        if import_ is not None:
            try:
                result = user_labels.import_labels(con, import_)
            except (LabelFileError, OSError) as exc:
                raise typer.BadParameter(str(exc), param_hint="--import") from None
            console.print(f"imported {result.new} new and {result.updated} changed labels from {import_}")
            return
        if audit is not None:
            _label_audit(con, audit, seed=seed, event=event, since=since.date() if since else None,
                         until=until.date() if until else None)
            return
        if event or since or until:
            raise typer.BadParameter("--event, --since and --until choose an audit's frame: add --audit N",
                                     param_hint="--audit")
        queue = user_labels.labelling_queue(con, limit, seed=seed)
        if not queue:
            console.print("Nothing to label: run `sentiment classify` first, or every stored comment is labelled.",
                          style="yellow")
            return
        n_random = sum(item.why == "random" for item in queue)
        console.print(f"{len(queue)} to label: {len(queue) - n_random} the model is least sure of and "
                      f"{n_random} drawn at random (its confidence ranks real comments only loosely).")
        done = _ask_labels(queue, lambda item, label: user_labels.save_label(con, item, label), show_model=True)
        total = label_count(con, "train")
        console.print(f"labelled {done} comments this session, {total} in all; "
                      "`sentiment train` includes them.")


def _ask_labels(queue, save, *, show_model: bool) -> int:
    """Show each comment and store the key pressed; returns how many were labelled."""
    done = 0
    for item in queue:
        head = f"{item.model_label} {item.confidence:.0%} · {item.why}" if show_model else item.why
        console.rule(f"{head} · {item.doc_id}")
        if item.thread_title:
            console.print(f"thread: {item.thread_title}", style="dim", markup=False)
        console.print(item.text, markup=False)
        key = typer.prompt("[c]oncern [s]kepticism su[p]port [n]eutral [k] skip [q] quit",
                           default="k", show_default=False).strip().lower()[:1]
        if key == "q":
            break
        if key in _KEYS:
            save(item, _KEYS[key])
            done += 1
    return done


def _label_audit(con, n: int, *, seed: int, event: str | None, since: date | None, until: date | None) -> None:
    from sentiment.classify.audit import AuditFrameError, draw_audit, save_audit_label

    try:
        draw = draw_audit(con, n, seed=seed, event_id=event, since=since, until=until)
    except AuditFrameError as exc:
        raise typer.BadParameter(str(exc), param_hint="--audit") from None
    if draw.resumed:
        console.print(f"resuming audit {draw.audit_id}: {len(draw.items)} drawn comments still unlabelled "
                      "(finish it before drawing another, so the sample stays random).")
    else:
        console.print(f"audit {draw.audit_id}: {len(draw.items)} comments drawn uniformly at random from "
                      f"{draw.frame_n} classified ones, in random order. The model's label is hidden; "
                      "these labels measure the classifier and never train it.")
    done = _ask_labels(draw.items, lambda item, label: save_audit_label(con, draw.audit_id, item, label),
                       show_model=False)
    left = len(draw.items) - done
    total = label_count(con, "audit")
    console.print(f"labelled {done} audit comments, {total} in all"
                  + (f"; {left} still to label (skipped ones stay in the audit: `sentiment label --audit "
                     f"{n}` asks them again)" if left else "")
                  + ". `sentiment trends` corrects the shares with them.")
