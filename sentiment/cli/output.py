"""How commands show their work: one console, one progress bar, one printer of skip reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()


def progress_bar() -> Progress:
    """The progress display of every long step: description, bar, done/total, time elapsed."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


class TrainingProgress:
    """Rich progress for a training run: one bar per phase (cache, train, evaluate, export)."""

    def __init__(self, progress: Progress, title: str) -> None:
        self.progress, self.title, self.tasks = progress, title, {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(f"{self.title}: {phase}", total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


def print_skips(skipped: Mapping[str, int], examples: Mapping[str, Sequence[str]]) -> None:
    """One line per skip reason, in order, with its count and any examples of what was skipped."""
    for reason, count in sorted(skipped.items()):
        named = examples.get(reason)
        console.print(f"  skipped {count}: {reason}" + (f" (e.g. {', '.join(named)})" if named else ""),
                      style="yellow", markup=False)
