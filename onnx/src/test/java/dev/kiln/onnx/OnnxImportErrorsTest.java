package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.onnx.proto.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.proto.OnnxProto.TypeProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models built here by hand: a graph of {@code input [N, 2, 6, 6] -> Conv (4 filters, 3x3) ->
 * node under test -> output}. What Kiln cannot import is one {@link OnnxImportException} whose
 * message says what and where (the node, its operator, its position, and what is supported);
 * and attributes PyTorch's exporter does not write ({@code auto_pad}, {@code Gemm}'s {@code
 * alpha} and {@code beta}) import as ONNX defines them.
 */
class OnnxImportErrorsTest {
  @TempDir Path dir;

  @Test
  void anOperatorKilnHasNoLayerForNamesTheNodeAndListsWhatIsSupported() {
    String message = fails(model(node("LRN", "norm1", List.of("conv.out"), "y", attribute("size", 3))));
    assertEquals(
        "node 1 of 2, 'norm1' (LRN), cannot be imported: Kiln has no layer for LRN. Kiln imports "
            + Importer.SUPPORTED,
        message);
  }

  @Test
  void unsupportedAttributesAreRefusedWithTheirValues() {
    assertContains(
        fails(model(node("Conv", "dilated", List.of("conv.out", "w2"), "y",
            ints("dilations", 2, 2)))),
        "node 1 of 2, 'dilated' (Conv), cannot be imported: dilations [2, 2]: Kiln's windows read"
            + " adjacent cells");
    assertContains(
        fails(model(node("Conv", "grouped", List.of("conv.out", "w2g"), "y",
            attribute("group", 2)))),
        "'grouped' (Conv), cannot be imported: group = 2 over 4 input channels");
    assertContains(
        fails(model(node("AveragePool", "avg", List.of("conv.out"), "y",
            ints("kernel_shape", 2, 2), ints("pads", 1, 1, 1, 1), attribute("count_include_pad", 1)))),
        "'avg' (AveragePool), cannot be imported: count_include_pad = 1 with padding [1, 1, 1, 1]");
    assertContains(
        fails(model(node("Clip", "clip", List.of("conv.out", "lo", "hi"), "y"))),
        "'clip' (Clip), cannot be imported: bounds -1.0 to 1.0: Kiln has ReLU (0 to infinity) and"
            + " ReLU6 (0 to 6)");
  }

  @Test
  void notAnOnnxFileOrATruncatedOne() throws Exception {
    Path text = dir.resolve("notes.onnx");
    Files.writeString(text, "these are not the weights you are looking for\n");
    assertContains(fails(text), "is not an ONNX model, or is truncated");
    byte[] whole = model(node("Relu", "relu", List.of("conv.out"), "y")).toByteArray();
    Path truncated = dir.resolve("truncated.onnx");
    Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
    assertContains(fails(truncated), "truncated.onnx is not an ONNX model, or is truncated");
  }

  @Test
  void anOpsetOutsideTheSupportedRange() {
    for (long opset : new long[] {7, 22}) {
      ModelProto m = model(node("Relu", "relu", List.of("conv.out"), "y")).toBuilder()
          .setOpsetImport(0, OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
          .build();
      assertEquals(
          "the model's opset is " + opset + "; Kiln imports opsets 9 to 21 (re-export it with"
              + " opset_version=13, for example)",
          fails(m));
    }
  }

  @Test
  void dynamicSpatialSizes() {
    ModelProto m = model(node("Relu", "relu", List.of("conv.out"), "y"));
    GraphProto.Builder g = m.getGraph().toBuilder();
    g.setInput(0, input("input", "N", 2, "H", 6));
    assertContains(
        fails(m.toBuilder().setGraph(g).build()),
        "the input 'input' [N, 2, H, 6] has a dynamic size in dimension 2");
  }

  @Test
  void externalDataThatIsMissing() throws Exception {
    ModelProto m = model(node("Relu", "relu", List.of("conv.out"), "y"));
    GraphProto.Builder g = m.getGraph().toBuilder();
    TensorProto w = g.getInitializer(0).toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
        .build();
    g.setInitializer(0, w);
    Path file = dir.resolve("external.onnx");
    Files.write(file, m.toBuilder().setGraph(g).build().toByteArray());
    assertContains(fails(file), "tensor 'w' is stored as external data in "
        + dir.toAbsolutePath().resolve("weights.bin") + ", which is missing");
    // Present, it is read.
    Files.write(dir.resolve("weights.bin"), m.getGraph().getInitializer(0).getRawData().toByteArray());
    try {
      Onnx.importModel(file, "", "External");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void moreThanOneInputOrOutput() {
    ModelProto m = model(node("Relu", "relu", List.of("conv.out"), "y"));
    GraphProto.Builder two = m.getGraph().toBuilder().addInput(input("mask", "N", 2, 6, 6));
    assertEquals(
        "the graph has 2 inputs besides its initializers (input, mask); Kiln's networks have"
            + " exactly one",
        fails(m.toBuilder().setGraph(two).build()));
    GraphProto.Builder outputs = m.getGraph().toBuilder().addOutput(m.getGraph().getOutput(0)
        .toBuilder().setName("conv.out"));
    assertEquals(
        "the graph has 2 outputs (y, conv.out); Kiln's networks have exactly one",
        fails(m.toBuilder().setGraph(outputs).build()));
  }

  @Test
  void aReshapeKilnCannotExpress() {
    assertContains(
        fails(model(node("Reshape", "reshape", List.of("conv.out", "shape"), "y"))),
        "'reshape' (Reshape), cannot be imported: shape [1, 16, 4, 4] of its input [N, 4, 4, 4]:"
            + " Kiln reshapes only to [N, features]");
  }

  @Test
  void aSoftmaxThatIsNotTheLastLayer() {
    ModelProto m = model(node("Flatten", "flat", List.of("conv.out"), "f"));
    GraphProto.Builder g = m.getGraph().toBuilder()
        .addNode(node("Gemm", "fc", List.of("f", "b64"), "p"))
        .addNode(node("Softmax", "soft", List.of("p"), "s"))
        .addNode(node("Gemm", "fc2", List.of("s", "b33"), "y"));
    assertContains(
        fails(m.toBuilder().setGraph(g).build()),
        "node 3 of 5, 'soft' (Softmax), cannot be imported: Kiln's Softmax turns the output's"
            + " logits into probabilities and must be on the last layer");
  }

  @Test
  void autoPadSameUpperIsKilnsSameAndSameLowerPadsTheTopAndLeft() throws Exception {
    String upper = Onnx.importModel(model(node("Conv", "c2", List.of("conv.out", "w2k"), "y",
        string("auto_pad", "SAME_UPPER"))), "", "Upper").source();
    assertContains(upper, "@Conv2D(filters = 4, kernel = 2, padding = Padding.SAME, bias = false) Layer c2;");
    String lower = Onnx.importModel(model(node("Conv", "c2", List.of("conv.out", "w2k"), "y",
        string("auto_pad", "SAME_LOWER"))), "", "Lower").source();
    assertContains(lower, "@Conv2D(filters = 4, kernel = 2, pad = {1, 0, 1, 0}, bias = false) Layer c2;");
  }

  @Test
  void gemmAlphaScalesTheWeightsBetaTheBiasAndFlattenedRowsTurnHwc() throws Exception {
    // conv.out is [N, 4, 4, 4]: its flatten is CHW, Kiln's HWC.
    ModelProto m = model(node("Flatten", "flat", List.of("conv.out"), "f"));
    GraphProto.Builder g = m.getGraph().toBuilder()
        .addNode(node("Gemm", "fc", List.of("f", "b64", "c3"), "y",
            AttributeProto.newBuilder().setName("alpha").setType(AttributeProto.AttributeType.FLOAT)
                .setF(2f).build(),
            AttributeProto.newBuilder().setName("beta").setType(AttributeProto.AttributeType.FLOAT)
                .setF(0.5f).build()));
    ImportedNetwork n = Onnx.importModel(m.toBuilder().setGraph(g).build(), "", "Scaled");
    assertContains(n.source(), "@Dense(units = 3) Layer fc;");
    float[] kernel = n.tensors().get(1).values();
    float[] bias = n.tensors().get(2).values();
    assertEquals("fc.kernel", n.tensors().get(1).name());
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        for (int c = 0; c < 4; c++) {
          for (int o = 0; o < 3; o++) {
            int onnxRow = c * 16 + y * 4 + x;
            assertEquals(2f * (onnxRow * 3 + o), kernel[((y * 4 + x) * 4 + c) * 3 + o]);
          }
        }
      }
    }
    assertEquals(List.of(0.5f, 1f, 1.5f), List.of(bias[0], bias[1], bias[2]));
  }

  @Test
  void aReshapeWhoseShapeIsComputedFoldsToAFlatten() throws Exception {
    // shape = Concat(Unsqueeze(Squeeze(Gather(Shape(x), [0]))), [-1]): [N, -1], as exporters
    // write x.view(x.size(0), -1).
    ModelProto m = model(node("Shape", "shape", List.of("conv.out"), "s"));
    GraphProto.Builder g = m.getGraph().toBuilder()
        .addNode(NodeProto.newBuilder().setOpType("Constant").setName("zero").addOutput("i0")
            .addAttribute(ints("value_ints", 0)))
        .addNode(node("Gather", "batch", List.of("s", "i0"), "n1"))
        .addNode(node("Squeeze", "scalar", List.of("n1", "i0"), "n"))
        .addNode(node("Unsqueeze", "vector", List.of("n", "i0"), "nv"))
        .addNode(NodeProto.newBuilder().setOpType("Constant").setName("rest").addOutput("m1")
            .addAttribute(ints("value_ints", -1)))
        .addNode(node("Concat", "target", List.of("nv", "m1"), "t", attribute("axis", 0)))
        .addNode(node("Reshape", "flat", List.of("conv.out", "t"), "f"))
        .addNode(node("Gemm", "fc", List.of("f", "b64"), "y"));
    ImportedNetwork n = Onnx.importModel(m.toBuilder().setGraph(g).build(), "", "Viewed");
    assertContains(n.source(), "  // fc (Gemm)\n  @Dense(units = 3, bias = false) Layer fc;\n}");
    assertEquals(List.of("conv", "fc"), n.layers().stream().map(ImportedNetwork.Layer::field).toList());
    // The rows come from a CHW flatten: Kiln's row 1 (y 0, x 0, channel 1) is ONNX's row 16.
    assertEquals(16 * 3, n.tensors().get(1).values()[3]);
  }

  // ---------------------------------------------------------------- helpers

  private static String fails(ModelProto m) {
    return assertThrows(OnnxImportException.class, () -> Onnx.importModel(m, "", "Bad")).getMessage();
  }

  private static String fails(Path file) {
    return assertThrows(OnnxImportException.class, () -> Onnx.importModel(file, "", "Bad")).getMessage();
  }

  private static void assertContains(String message, String part) {
    assertTrue(message.contains(part), "expected\n  " + part + "\nin\n  " + message);
  }

  /** input [N, 2, 6, 6] -> conv (Conv, 4 filters 3x3, "w") -> {@code last} -> "y". */
  private static ModelProto model(NodeProto last) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("bad")
        .addInput(input("input", "N", 2, 6, 6))
        .addOutput(input("y", "N", 4, 4, 4))
        .addInitializer(floats("w", new float[4 * 2 * 3 * 3], 4, 2, 3, 3))
        .addInitializer(floats("w2", new float[4 * 4 * 3 * 3], 4, 4, 3, 3))
        .addInitializer(floats("w2g", new float[4 * 2 * 3 * 3], 4, 2, 3, 3))
        .addInitializer(floats("w2k", new float[4 * 4 * 2 * 2], 4, 4, 2, 2))
        .addInitializer(floats("b64", sequence(64 * 3), 64, 3))
        .addInitializer(floats("c3", new float[] {1, 2, 3}, 3))
        .addInitializer(floats("b33", new float[9], 3, 3))
        .addInitializer(floats("lo", new float[] {-1}))
        .addInitializer(floats("hi", new float[] {1}))
        .addInitializer(TensorProto.newBuilder().setName("shape")
            .setDataType(TensorProto.DataType.INT64_VALUE).addDims(4)
            .addAllInt64Data(List.of(1L, 16L, 4L, 4L)))
        .addNode(node("Conv", "conv", List.of("input", "w"), "conv.out", ints("kernel_shape", 3, 3)))
        .addNode(last);
    return ModelProto.newBuilder().setIrVersion(7).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).build();
  }

  private static NodeProto node(String op, String name, List<String> inputs, String output,
      AttributeProto... attributes) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
        .addAllAttribute(List.of(attributes)).build();
  }

  private static AttributeProto attribute(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  private static float[] sequence(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return v;
  }

  private static AttributeProto string(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  private static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  private static TensorProto floats(String name, float[] values, long... dims) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * values.length)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(b.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  /** A float tensor's value info; each size a number or a name (a dynamic dimension). */
  private static ValueInfoProto input(String name, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      shape.addDim(d instanceof String s
          ? TensorShapeProto.Dimension.newBuilder().setDimParam(s)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
        .build();
  }
}
