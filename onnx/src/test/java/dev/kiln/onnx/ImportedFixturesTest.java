package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.onnx.fixtures.TorchActivationsModel;
import dev.kiln.onnx.fixtures.TorchCnn2Model;
import dev.kiln.onnx.fixtures.TorchInceptionModel;
import dev.kiln.onnx.fixtures.TorchLeNet5Model;
import dev.kiln.onnx.fixtures.TorchResNetModel;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTestDevice;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import dev.kiln.runtime.kernels.Kernels;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * The networks PyTorch exported, imported (the declarations and weights {@link
 * OnnxImportGoldenTest} holds to the importer) and compiled by Kiln's processor with the rest of
 * the test sources, give ONNX Runtime's outputs for the same images within 1e-4 of the output's
 * scale (its largest magnitude), on the vector path (this JVM), on the plain Java path (a JVM
 * started with {@code -Dkiln.kernels=plain}, which also checks {@link OnnxExportTest}'s exports on
 * that path) and on OpenCL. ONNX Runtime reads NCHW images; Kiln
 * the same images transposed to NHWC.
 */
class ImportedFixturesTest {
  static final double TOLERANCE = 1e-4;
  static final int BATCH = 4;

  /** Fixture file to the generated model of its committed declaration. */
  static final Map<String, LongFunction<Model>> FIXTURES = new LinkedHashMap<>();

  static {
    FIXTURES.put("lenet5", TorchLeNet5Model::create);
    FIXTURES.put("cnn2", TorchCnn2Model::create);
    FIXTURES.put("resnet", TorchResNetModel::create);
    FIXTURES.put("inception", TorchInceptionModel::create);
    FIXTURES.put("activations", TorchActivationsModel::create);
  }

  /** Computes a batch of NHWC samples on one of Kiln's paths. */
  interface KilnPath {
    float[] run(Model model, float[] nhwc, int batch) throws Exception;
  }

  /**
   * This JVM's path: the vector path as the build runs the tests ({@code -Dkiln.kernels=vector});
   * the plain one under {@code -Dkiln.test.kernels=plain}.
   */
  @Test
  void thisJvmsPathMatchesOnnxRuntime() throws Exception {
    System.out.println("ImportedFixturesTest on kernels: " + Kernels.describe());
    for (String line : compareAll(Kernels.VECTORIZED ? "vector" : "plain", (model, x, batch) -> {
      float[] out = new float[batch * model.outputSize()];
      model.predictBatch(x, out, 2);
      float[] one = new float[model.outputSize()];
      for (int s = 0; s < batch; s++) {
        // predict, one sample at a time, takes the same path.
        model.predict(java.util.Arrays.copyOfRange(x, s * model.inputSize(), (s + 1) * model.inputSize()), one);
        for (int i = 0; i < one.length; i++) {
          assertEquals(out[s * one.length + i], one[i], 1e-6, "predict and predictBatch");
        }
      }
      return out;
    })) {
      System.out.println(line);
    }
  }

  @Test
  void openClMatchesOnnxRuntime() throws Exception {
    var device = OpenClTestDevice.shared();
    for (String line : compareAll("OpenCL", (model, x, batch) -> {
      float[] out = new float[batch * model.outputSize()];
      try (OpenClModel bound = OpenClModel.bind(device, model, batch)) {
        bound.predictBatch(x, out);
      }
      return out;
    })) {
      System.out.println(line);
    }
  }

  @Test
  void plainPathMatchesOnnxRuntime() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        List.of(java, "--add-modules", "jdk.incubator.vector", "-Dkiln.kernels=plain", "-cp",
            System.getProperty("java.class.path"), PlainPath.class.getName());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean finished = child.waitFor(120, TimeUnit.SECONDS);
    if (!finished) {
      child.destroyForcibly();
    }
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.print(output);
    assertTrue(finished, "the plain-path run did not finish in 120 s:\n" + output);
    assertEquals(0, child.exitValue(), output);
    assertTrue(output.contains("plain Java"), output);
    assertEquals(
        FIXTURES.size() + OnnxExportTest.networks().count(),
        output.lines().filter(l -> l.contains("(within ")).count(),
        output);
  }

  /**
   * The plain path's run, in a JVM of its own (the path is chosen once per JVM): the imported
   * fixtures, and {@link OnnxExportTest}'s exported networks against ONNX Runtime within 1e-5.
   */
  static final class PlainPath {
    public static void main(String[] args) throws Exception {
      System.out.println("Kernels: " + Kernels.describe());
      try {
        for (String line : compareAll("plain", (model, x, batch) -> {
          float[] out = new float[batch * model.outputSize()];
          model.predictBatch(x, out, 1);
          return out;
        })) {
          System.out.println(line);
        }
        OnnxExportTest.start();
        Path dir = java.nio.file.Files.createTempDirectory("kiln-export");
        for (Object[] network : OnnxExportTest.networks().map(a -> a.get()).toList()) {
          @SuppressWarnings("unchecked")
          Model model = ((LongFunction<Model>) network[1]).apply(7);
          OnnxExportTest.perturb(model, new Random(11));
          Path file = dir.resolve("model.onnx");
          Onnx.export(model, file);
          double largest = OnnxExportTest.largestDifference(model, file);
          java.nio.file.Files.delete(file);
          String line = String.format("OnnxExportTest plain %s: largest difference %.3g (within %.0e)",
              network[0], largest, OnnxExportTest.TOLERANCE);
          System.out.println(line);
          if (largest > OnnxExportTest.TOLERANCE) {
            throw new AssertionError(line);
          }
        }
        java.nio.file.Files.delete(dir);
      } catch (AssertionError e) {
        System.out.println("FAILED: " + e.getMessage());
        System.exit(1);
      }
    }
  }

  /** Each fixture on ONNX Runtime and on {@code path}; one line per fixture, failing past the tolerance. */
  static List<String> compareAll(String name, KilnPath path) throws Exception {
    List<String> lines = new ArrayList<>();
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    for (Map.Entry<String, LongFunction<Model>> f : FIXTURES.entrySet()) {
      Model model = f.getValue().apply(0);
      String className = model.getClass().getSimpleName().replaceAll("Model$", "");
      Checkpoint.load(model, OnnxImportGoldenTest.SOURCES.resolve(
          "dev/kiln/onnx/fixtures/" + className + ".safetensors"));
      TensorShape in = model.inputShape();
      Random random = new Random(19);
      float[] nchw = new float[BATCH * model.inputSize()];
      for (int i = 0; i < nchw.length; i++) {
        nchw[i] = (float) random.nextGaussian();
      }
      float[] onnx;
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(1);
        try (OrtSession session = environment.createSession(
                OnnxImportGoldenTest.FIXTURES.resolve(f.getKey() + ".onnx").toString(), options);
            OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(nchw),
                new long[] {BATCH, in.channels(), in.height(), in.width()});
            OrtSession.Result result = session.run(Map.of("input", input))) {
          OnnxTensor output = (OnnxTensor) result.get(0);
          assertArrayEquals(new long[] {BATCH, model.outputSize()}, output.getInfo().getShape());
          onnx = new float[BATCH * model.outputSize()];
          output.getFloatBuffer().get(onnx);
        }
      }
      float[] kiln = path.run(model, nhwc(nchw, in, BATCH), BATCH);
      double scale = 0;
      double largest = 0;
      for (int i = 0; i < onnx.length; i++) {
        scale = Math.max(scale, Math.abs(onnx[i]));
        largest = Math.max(largest, Math.abs(kiln[i] - onnx[i]));
      }
      String line = String.format(
          "ImportedFixturesTest %s %s: largest difference %.3g, %.3g of the output's scale %.3g (within %.0e)",
          name, f.getKey(), largest, largest / scale, scale, TOLERANCE);
      lines.add(line);
      assertTrue(largest <= TOLERANCE * scale, line);
    }
    return lines;
  }

  /** NCHW samples as NHWC. */
  static float[] nhwc(float[] nchw, TensorShape s, int batch) {
    int h = s.height();
    int w = s.width();
    int c = s.channels();
    float[] out = new float[nchw.length];
    for (int n = 0; n < batch; n++) {
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            out[((n * h + y) * w + x) * c + ch] = nchw[((n * c + ch) * h + y) * w + x];
          }
        }
      }
    }
    return out;
  }
}
