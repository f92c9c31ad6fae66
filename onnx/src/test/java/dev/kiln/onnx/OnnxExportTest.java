package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Loss;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exported networks run on ONNX Runtime, the reference, and give what Kiln's {@code predict} and
 * {@code predictBatch} give, within 1e-5, at several batch sizes (the batch dimension is
 * dynamic).
 */
class OnnxExportTest {
  static final double TOLERANCE = 1e-5;
  static final int[] BATCHES = {1, 3, 8};

  private static OrtEnvironment environment;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    environment = OrtEnvironment.getEnvironment();
  }

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of("LeNet-5", (LongFunction<Model>) OnnxLeNet5Model::create),
        Arguments.of("2-conv CNN", (LongFunction<Model>) OnnxCnn2Model::create),
        Arguments.of("residual", (LongFunction<Model>) OnnxResidualModel::create),
        Arguments.of("inception", (LongFunction<Model>) OnnxInceptionModel::create),
        Arguments.of("depthwise", (LongFunction<Model>) OnnxDepthwiseModel::create),
        Arguments.of("activations", (LongFunction<Model>) OnnxActivationsModel::create),
        Arguments.of("windows", (LongFunction<Model>) OnnxWindowsModel::create),
        Arguments.of("dense only", (LongFunction<Model>) OnnxDenseOnlyModel::create));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void onnxRuntimeGivesKilnsOutputs(String title, LongFunction<Model> create) throws Exception {
    Model model = create.apply(7);
    perturb(model, new Random(11));
    Path file = dir.resolve("model.onnx");
    Onnx.export(model, file);
    double largest = largestDifference(model, file);
    System.out.printf(
        "OnnxExportTest %s (%s): batches %s, largest difference %.3g%n",
        title, model.name(), java.util.Arrays.toString(BATCHES), largest);
    assertTrue(largest <= TOLERANCE, title + ": largest difference " + largest);
  }

  /**
   * On OpenCL too: the exported model on ONNX Runtime gives what the network bound to an OpenCL
   * device computes (OpenClTestDevice's rule: skipped without OpenCL unless CI is set). The plain
   * Java path is checked in a JVM of its own by {@link ImportedFixturesTest}.
   */
  @ParameterizedTest(name = "{0} on OpenCL")
  @MethodSource("networks")
  void onnxRuntimeGivesKilnsOpenClOutputs(String title, LongFunction<Model> create)
      throws Exception {
    var device = dev.kiln.opencl.OpenClTestDevice.shared();
    Model model = create.apply(7);
    perturb(model, new Random(11));
    Path file = dir.resolve("model.onnx");
    Onnx.export(model, file);
    int batch = 3;
    Random random = new Random(3);
    float[] inputs = new float[batch * model.inputSize()];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = random.nextFloat();
    }
    float[] onnx;
    try (OrtSession session = environment.createSession(file.toString(), new OrtSession.SessionOptions())) {
      onnx = run(session, model, inputs, batch);
    }
    float[] kiln = new float[batch * model.outputSize()];
    try (dev.kiln.opencl.OpenClModel bound = dev.kiln.opencl.OpenClModel.bind(device, model, batch)) {
      bound.predictBatch(inputs, kiln);
    }
    double largest = 0;
    for (int i = 0; i < kiln.length; i++) {
      largest = Math.max(largest, Math.abs(kiln[i] - onnx[i]));
    }
    System.out.printf("OnnxExportTest %s (%s) on OpenCL: largest difference %.3g%n", title,
        model.name(), largest);
    assertTrue(largest <= TOLERANCE, title + " on OpenCL: largest difference " + largest);
  }

  /** The largest difference between ONNX Runtime's outputs and Kiln's, over every batch size. */
  static double largestDifference(Model model, Path file) throws OrtException {
    double largest = 0;
    Random random = new Random(3);
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = environment.createSession(file.toString(), options)) {
        for (int batch : BATCHES) {
          float[] inputs = new float[batch * model.inputSize()];
          for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextFloat();
          }
          float[] onnx = run(session, model, inputs, batch);
          float[] kiln = new float[batch * model.outputSize()];
          model.predictBatch(inputs, kiln, 2);
          float[] one = new float[model.outputSize()];
          for (int s = 0; s < batch; s++) {
            float[] sample =
                java.util.Arrays.copyOfRange(inputs, s * model.inputSize(), (s + 1) * model.inputSize());
            model.predict(sample, one);
            for (int i = 0; i < one.length; i++) {
              largest = Math.max(largest, Math.abs(one[i] - onnx[s * one.length + i]));
            }
          }
          for (int i = 0; i < kiln.length; i++) {
            largest = Math.max(largest, Math.abs(kiln[i] - onnx[i]));
          }
        }
      }
    }
    return largest;
  }

  /** Runs {@code batch} samples, NHWC one after another, through the exported model. */
  static float[] run(OrtSession session, Model model, float[] inputs, int batch) throws OrtException {
    TensorShape in = model.inputShape();
    long[] shape =
        in.flat()
            ? new long[] {batch, in.channels()}
            : new long[] {batch, in.height(), in.width(), in.channels()};
    try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(inputs), shape);
        OrtSession.Result result = session.run(Map.of(Onnx.INPUT, input))) {
      OnnxTensor output = (OnnxTensor) result.get(Onnx.OUTPUT).orElseThrow();
      TensorShape out = model.outputShape();
      long[] expected =
          out.flat()
              ? new long[] {batch, out.channels()}
              : new long[] {batch, out.height(), out.width(), out.channels()};
      assertArrayEquals(expected, output.getInfo().getShape(), "output shape");
      float[] values = new float[batch * model.outputSize()];
      output.getFloatBuffer().get(values);
      return values;
    }
  }

  /**
   * Moves every parameter off its initial value (biases are zero, BatchNorm's gamma one) and gives
   * each BatchNorm moving statistics of its own, so that every parameter counts.
   */
  static void perturb(Model model, Random random) {
    float[] p = model.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) (0.1 * random.nextGaussian());
    }
    float[] state = model.state();
    for (Layer layer : model.layers()) {
      if (layer.batchNorm()) {
        int c = layer.stateCount() / 2;
        for (int i = 0; i < c; i++) {
          state[layer.stateOffset() + i] = (float) (0.2 * random.nextGaussian());
          state[layer.stateOffset() + c + i] = 0.5f + random.nextFloat();
        }
      }
    }
  }

  @Test
  void theGraphTakesNhwcWithADynamicBatchAndNamesItsNodesAfterTheLayers() {
    ModelProto proto = Onnx.toModelProto(OnnxLeNet5Model.create(1));
    assertEquals(Onnx.OPSET, proto.getOpsetImport(0).getVersion());
    var input = proto.getGraph().getInput(0).getType().getTensorType().getShape();
    assertEquals("N", input.getDim(0).getDimParam());
    assertEquals(
        List.of(28L, 28L, 1L),
        input.getDimList().subList(1, 4).stream().map(d -> d.getDimValue()).toList());
    assertEquals(
        "Transpose Conv Relu MaxPool Conv Relu MaxPool Transpose Flatten Gemm Relu Gemm Relu Gemm"
            + " Softmax Identity",
        proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).collect(Collectors.joining(" ")));
    assertEquals(
        List.of("c1.kernel", "c1.bias", "c3.kernel", "c3.bias", "c5.kernel", "c5.bias", "f6.kernel",
            "f6.bias", "output.kernel", "output.bias"),
        proto.getGraph().getInitializerList().stream().map(t -> t.getName()).toList());
  }

  @Test
  void aLayerThatDoesNotSayWhatItComputesIsRefusedByNameAndNothingIsWritten() throws IOException {
    Model generated = OnnxDenseOnlyModel.create(1);
    Layer handMade =
        new Layer("hidden", "Dense 6 + Tanh", TensorShape.of(1, 1, 4), TensorShape.vector(6), 0,
            new int[] {4, 6}, 24, 6);
    Model model = new WithLayers(generated, List.of(handMade, generated.layers().get(1)));
    Path file = dir.resolve("kept.onnx");
    Files.writeString(file, "an earlier file");
    UnsupportedLayerException e =
        assertThrows(UnsupportedLayerException.class, () -> Onnx.export(model, file));
    assertEquals("hidden", e.layer());
    assertTrue(e.getMessage().startsWith("layer hidden (Dense 6 + Tanh) of OnnxDenseOnly"), e.getMessage());
    assertEquals("an earlier file", Files.readString(file));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file left");
    }
  }

  @Test
  void aMissingDirectoryIsAnIoErrorAndNothingIsWritten() {
    Path file = dir.resolve("missing").resolve("model.onnx");
    IOException e =
        assertThrows(IOException.class, () -> Onnx.export(OnnxLeNet5Model.create(1), file));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  /** A generated model that reports other layers. */
  private record WithLayers(Model model, List<Layer> layers) implements Model {
    @Override
    public String name() {
      return model.name();
    }

    @Override
    public TensorShape inputShape() {
      return model.inputShape();
    }

    @Override
    public TensorShape outputShape() {
      return model.outputShape();
    }

    @Override
    public float[] parameters() {
      return model.parameters();
    }

    @Override
    public String summary() {
      return model.summary();
    }

    @Override
    public void predict(float[] input, float[] output) {
      model.predict(input, output);
    }

    @Override
    public void predictBatch(float[] inputs, float[] outputs, int threads) {
      model.predictBatch(inputs, outputs, threads);
    }

    @Override
    public float[] layerOutput(float[] input, Layer layer) {
      return model.layerOutput(input, layer);
    }

    @Override
    public Loss loss() {
      return model.loss();
    }

    @Override
    public int trainingWorkspaceSize() {
      return model.trainingWorkspaceSize();
    }

    @Override
    public float trainSample(
        float[] input, int inputOffset, float[] target, int targetOffset, float[] out,
        int outOffset, float[] gradients, float[] workspace, long noise) {
      return model.trainSample(
          input, inputOffset, target, targetOffset, out, outOffset, gradients, workspace, noise);
    }
  }
}
