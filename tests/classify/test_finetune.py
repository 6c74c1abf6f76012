"""Fine-tuning recipes, checked on a few steps of the real ``fast`` encoder."""

from dataclasses import replace

import torch

from sentiment.classify.examples import bundled_examples
from sentiment.classify.finetune import _base_model, _seed_everything, fine_tune
from sentiment.classify.presets import get_preset


def test_the_probe_trains_the_head_on_the_encoder_as_pretrained(tmp_path):
    preset = replace(get_preset("fast"), epochs=0, probe_epochs=2, batch_size=4)
    phases: list[tuple[str, int, int]] = []
    tuned = fine_tune(preset, bundled_examples("train")[:8], cache=tmp_path, threads=1,
                      on_progress=lambda phase, done, total: phases.append((phase, done, total)))
    _seed_everything(preset.seed)
    fresh, _ = _base_model(preset, tmp_path, lambda *args: None)
    after, before = tuned.model.state_dict(), fresh.state_dict()

    encoder = [k for k in before if k.startswith(("bert.embeddings.", "bert.encoder."))]
    assert encoder and all(torch.equal(after[k], before[k]) for k in encoder)
    assert not torch.equal(after["classifier.weight"], before["classifier.weight"])
    probe_steps = [done for phase, done, _ in phases if phase == "probe"]
    assert probe_steps and probe_steps[-1] == next(total for phase, _, total in phases if phase == "probe")
    assert not any(phase == "train" for phase, _, _ in phases)  # no fine-tuning epochs asked for


def test_after_the_probe_the_unfrozen_layers_are_fine_tuned(tmp_path):
    preset = replace(get_preset("fast"), epochs=1, probe_epochs=1, batch_size=4)  # lower 2 of 6 frozen
    tuned = fine_tune(preset, bundled_examples("train")[:8], cache=tmp_path, threads=1)
    _seed_everything(preset.seed)
    fresh, _ = _base_model(preset, tmp_path, lambda *args: None)
    after, before = tuned.model.state_dict(), fresh.state_dict()

    top, bottom = "bert.encoder.layer.5.output.dense.weight", "bert.encoder.layer.0.output.dense.weight"
    assert not torch.equal(after[top], before[top])
    assert torch.equal(after[bottom], before[bottom])
