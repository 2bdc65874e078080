"""Writes fixtures/onnx/affine.onnx: y = 2 * x + 1 over a float32 vector of
any length. A few hundred bytes; the runtime tests load it to check that ONNX
Runtime is found, loads, and computes. Needs only `pip install onnx`."""
import pathlib
import onnx
from onnx import TensorProto, helper

out = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "onnx" / "affine.onnx"
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
graph = helper.make_graph(
    [helper.make_node("Mul", ["x", "two"], ["t"]), helper.make_node("Add", ["t", "one"], ["y"])],
    "affine", [x], [y], initializer=[two, one])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="roomscribe-fixtures")
model.ir_version = 8
onnx.checker.check_model(model)
out.parent.mkdir(parents=True, exist_ok=True)
onnx.save(model, out)
print(out, out.stat().st_size, "bytes")
