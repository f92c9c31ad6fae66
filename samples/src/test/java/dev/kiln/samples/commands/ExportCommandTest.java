package dev.kiln.samples.commands;

import static dev.kiln.samples.commands.KilnCommandLine.kiln;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.samples.commands.KilnCommandLine.Run;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ./kiln export} on the samples' networks: each exported checkpoint runs on ONNX Runtime
 * and gives what the checkpoint's Kiln model predicts, within 1e-5, for batches of 1 and 5
 * images in NHWC order; and its errors.
 */
class ExportCommandTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"lenet5", "resnet", "inception", "mobilenet", "cnn2"})
  void anExportedCheckpointRunsOnOnnxRuntimeAsInKiln(String name) throws Exception {
    Model net = ShowCommand.networks().get(name).apply(3);
    Random random = new Random(5);
    float[] p = net.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) (0.05 * random.nextGaussian());
    }
    for (Layer layer : net.layers()) {
      if (layer.batchNorm()) {
        int c = layer.stateCount() / 2;
        for (int i = 0; i < c; i++) {
          net.state()[layer.stateOffset() + i] = (float) (0.1 * random.nextGaussian());
          net.state()[layer.stateOffset() + c + i] = 0.5f + random.nextFloat();
        }
      }
    }
    Path checkpoint = dir.resolve(name + ".safetensors");
    Checkpoint.save(net, checkpoint);
    Path out = dir.resolve(name + ".onnx");

    Run run = kiln("export", "--checkpoint", checkpoint.toString(), "--out", out.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals(
        List.of(
            "RESULT task=export model=" + net.name() + " checkpoint=" + checkpoint + " out=" + out
                + " opset=13 input=[N,28,28,1] layout=NHWC output=[N,10] params="
                + net.parameterCount() + " bytes=" + Files.size(out)),
        run.results());

    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    double largest = 0;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = environment.createSession(out.toString(), options)) {
        for (int batch : new int[] {1, 5}) {
          float[] images = new float[batch * 784];
          for (int i = 0; i < images.length; i++) {
            images[i] = random.nextFloat();
          }
          float[] kiln = new float[batch * 10];
          net.predictBatch(images, kiln, 2);
          try (OnnxTensor input =
                  OnnxTensor.createTensor(environment, FloatBuffer.wrap(images), new long[] {batch, 28, 28, 1});
              OrtSession.Result result = session.run(Map.of("input", input))) {
            OnnxTensor output = (OnnxTensor) result.get("output").orElseThrow();
            assertArrayEquals(new long[] {batch, 10}, output.getInfo().getShape());
            float[] onnx = new float[batch * 10];
            output.getFloatBuffer().get(onnx);
            for (int i = 0; i < onnx.length; i++) {
              largest = Math.max(largest, Math.abs(onnx[i] - kiln[i]));
            }
          }
        }
      }
    }
    System.out.printf("ExportCommandTest %s: largest difference %.3g%n", name, largest);
    assertTrue(largest <= 1e-5, name + ": largest difference " + largest);
  }

  @Test
  void badInputIsOneLineAndWritesNothing() throws Exception {
    Path lenet = dir.resolve("lenet5.safetensors");
    Checkpoint.save(ShowCommand.networks().get("lenet5").apply(1), lenet);
    Path out = dir.resolve("model.onnx");

    Run unknown = kiln("export", "--model", "vgg", "--checkpoint", lenet.toString(), "--out", out.toString());
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().startsWith("kiln export: unknown --model 'vgg'; choose one of lenet5, resnet"), unknown.err());

    Run noDirectory =
        kiln("export", "--checkpoint", dir.resolve("none.safetensors").toString(), "--out",
            dir.resolve("missing/model.onnx").toString());
    assertEquals(2, noDirectory.exit());
    assertTrue(noDirectory.err().startsWith("kiln export: --out "), noDirectory.err());
    assertTrue(noDirectory.err().strip().endsWith("does not exist"), noDirectory.err());

    Run noCheckpoint =
        kiln("export", "--checkpoint", dir.resolve("none.safetensors").toString(), "--out", out.toString());
    assertEquals(1, noCheckpoint.exit());
    assertTrue(noCheckpoint.err().contains("none.safetensors not found"), noCheckpoint.err());

    Run otherNetwork =
        kiln("export", "--model", "resnet", "--checkpoint", lenet.toString(), "--out", out.toString());
    assertEquals(2, otherNetwork.exit());
    assertTrue(
        otherNetwork.err().contains("holds LeNet5, not MnistResNet; export it with --model lenet5"),
        otherNetwork.err());

    Path corrupt = dir.resolve("corrupt.safetensors");
    Files.write(corrupt, new byte[] {1, 2, 3});
    Run corrupted = kiln("export", "--checkpoint", corrupt.toString(), "--out", out.toString());
    assertEquals(1, corrupted.exit());

    for (Run run : List.of(unknown, noDirectory, noCheckpoint, otherNetwork, corrupted)) {
      assertEquals(1, run.err().lines().count(), run.err());
      assertTrue(run.results().isEmpty(), run.out());
    }
    assertFalse(Files.exists(out));
  }
}
