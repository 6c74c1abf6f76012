"""Export a fine-tuned torch model to ONNX and quantise its weights to int8.

Uses ``torch.onnx`` and ONNX Runtime's own quantiser (``optimum`` would downgrade transformers).
Weights of every linear layer become int8 except the feed-forward output projections: their
inputs (after GELU) carry outlier activations that per-tensor dynamic quantisation crushes.
Measured on the accurate model's dev split: quantising them too agreed with torch on 66% of
comments; keeping them in fp32 agrees on 97%.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def _outlier_nodes(path: Path) -> list[str]:
    """The feed-forward output projections (``…/layer.N/output/dense/MatMul``)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node
            if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name]


def export_int8(model, tokenizer, target: Path) -> Path:
    """Write ``target`` (an int8 ONNX file) from a torch sequence-classification model."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    sample = tokenizer(["a thread title"], ["a short comment to trace the graph"], return_tensors="pt")
    inputs = (sample["input_ids"], sample["attention_mask"])
    names = ["input_ids", "attention_mask"]

    class _Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    target = Path(target)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        torch.onnx.export(
            _Logits(model), inputs, str(fp32), input_names=names, output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=_outlier_nodes(fp32))
    return target
