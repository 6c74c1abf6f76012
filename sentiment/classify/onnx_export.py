"""Export a fine-tuned torch model to ONNX and quantise its weights to int8.

Uses ``torch.onnx`` and ONNX Runtime's own quantiser (``optimum`` would downgrade transformers).
The attention projections become int8; the feed-forward block stays fp32: its activations
(around and after GELU) carry outliers that per-tensor dynamic quantisation crushes. Measured on
the dev split against torch: quantising every linear layer agreed on 66% (accurate) and 94%
(fast) of comments; keeping the feed-forward output in fp32, 97.4% and 97.7%; keeping the whole
feed-forward block in fp32, 98.7% and 99.4%.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path


def _outlier_nodes(path: Path) -> list[str]:
    """The feed-forward layers (``…/layer.N/intermediate/dense``, ``…/layer.N/output/dense``)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node
            if n.op_type == "MatMul" and "/attention/" not in n.name
            and ("/output/dense/" in n.name or "/intermediate/dense/" in n.name)]


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
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, warnings.catch_warnings():
        # Tracing warns that shape-dependent Python branches in transformers' masking and
        # attention code are frozen into the graph; the axes stay dynamic and the int8 path's
        # agreement with torch is measured on dev, so the warnings are noise to the user.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # torch 2.9+ points at its newer exporter; this one is the one measured and pinned.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
        fp32 = Path(tmp) / "model.fp32.onnx"
        torch.onnx.export(
            _Logits(model), inputs, str(fp32), input_names=names, output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=_outlier_nodes(fp32))
    return target
