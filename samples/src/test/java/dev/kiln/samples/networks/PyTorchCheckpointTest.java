package dev.kiln.samples.networks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.DataFormatException;
import dev.kiln.runtime.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * State dicts that PyTorch itself made (src/test/resources/pytorch/make_fixtures.py: LeNet-5, the
 * ResNet and the MobileNet written in PyTorch, saved with safetensors) load into the samples'
 * Kiln networks, which then give PyTorch's probabilities for PyTorch's images.
 */
class PyTorchCheckpointTest {
  static final double TOLERANCE = 1e-5;

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"lenet5", "resnet", "mobilenet"})
  void aPyTorchStateDictGivesPyTorchsOutputs(String name) throws IOException {
    Model net = create(name).apply(0);
    Checkpoint.loadPyTorch(net, fixture(dir, name + ".state_dict.safetensors"));
    Map<String, float[]> io = readFloats(fixture(dir, name + ".io.safetensors"));
    float[] images = io.get("images"); // [4, 1, 28, 28]: one channel, so NCHW is NHWC
    float[] expected = io.get("probabilities");
    float[] batch = new float[expected.length];
    net.predictBatch(images, batch, 2);
    double largest = 0;
    for (int s = 0; s < 4; s++) {
      float[] one = net.predict(java.util.Arrays.copyOfRange(images, s * 784, (s + 1) * 784));
      for (int i = 0; i < 10; i++) {
        largest = Math.max(largest, Math.abs(one[i] - expected[s * 10 + i]));
        largest = Math.max(largest, Math.abs(batch[s * 10 + i] - expected[s * 10 + i]));
      }
    }
    System.out.printf("PyTorchCheckpointTest %s: largest difference from PyTorch %.3g%n", name, largest);
    assertTrue(largest <= TOLERANCE, name + ": largest difference " + largest);
  }

  @Test
  void aStateDictOfAnotherNetworkIsRefusedAndChangesNothing() throws IOException {
    Model net = MnistResNetModel.create(1);
    float[] before = net.parameters().clone();
    Path lenet = fixture(dir, "lenet5.state_dict.safetensors");
    DataFormatException e =
        assertThrows(DataFormatException.class, () -> Checkpoint.loadPyTorch(net, lenet));
    assertTrue(e.getMessage().contains("is not a PyTorch state dict of MnistResNet: missing [stem.weight"),
        e.getMessage());
    assertArrayEquals(before, net.parameters());
  }

  @Test
  void modulesOfOtherNamesAreMappedToTheLayers() throws IOException {
    Model net = LeNet5Model.create(1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Checkpoint.loadPyTorch(net, fixture(dir, "lenet5.state_dict.safetensors"), Map.of("c2", "x")));
    assertEquals("no layer named 'c2' in LeNet5", e.getMessage());
    DataFormatException renamed =
        assertThrows(
            DataFormatException.class,
            () -> Checkpoint.loadPyTorch(net, fixture(dir, "lenet5.state_dict.safetensors"),
                Map.of("c1", "features.0")));
    assertTrue(renamed.getMessage().contains("missing [features.0.weight, features.0.bias]"), renamed.getMessage());
  }

  /**
   * Saving a loaded state dict writes back what PyTorch wrote: every float32 tensor of the
   * fixture, under its name, with its shape and its bytes (BatchNorm's int64
   * {@code num_batches_tracked}, which PyTorch fills in when missing, aside), and nothing else.
   */
  @ParameterizedTest
  @CsvSource({"lenet5", "resnet", "mobilenet"})
  void savingALoadedStateDictWritesWhatPyTorchWrote(String name) throws IOException {
    Model net = create(name).apply(0);
    Path original = fixture(dir, name + ".state_dict.safetensors");
    Checkpoint.loadPyTorch(net, original);
    Path saved = dir.resolve(name + ".saved.safetensors");
    Checkpoint.savePyTorch(net, saved);
    Map<String, String> expected = rawTensors(original);
    expected.keySet().removeIf(tensor -> tensor.endsWith(".num_batches_tracked"));
    assertEquals(expected, rawTensors(saved), name);
    assertEquals("pt", Checkpoint.metadata(saved).get("format"));
  }

  /** A network saved for PyTorch and loaded back has the parameters and statistics it had. */
  @ParameterizedTest
  @CsvSource({"lenet5", "resnet", "mobilenet"})
  void aNetworkSavedForPyTorchLoadsBackAsItWas(String name) throws IOException {
    Model net = create(name).apply(3);
    java.util.SplittableRandom random = new java.util.SplittableRandom(4);
    float[] state = net.state();
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) random.nextDouble(0.5, 2); // moving means and variances not 0 and 1
    }
    Path saved = dir.resolve(name + ".round.safetensors");
    Checkpoint.savePyTorch(net, saved);
    Model back = create(name).apply(7);
    Checkpoint.loadPyTorch(back, saved);
    assertArrayEquals(net.parameters(), back.parameters(), 0f, name);
    assertArrayEquals(net.state(), back.state(), 0f, name);
  }

  /** Each tensor of a safetensors file as "dtype shape" and its bytes in hex, by name. */
  static Map<String, String> rawTensors(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int length = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, length, StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile("\"([\\w.]+)\":\\{\"dtype\":\"(\\w+)\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}")
            .matcher(header);
    Map<String, String> tensors = new java.util.TreeMap<>();
    while (m.find()) {
      int start = Integer.parseInt(m.group(4));
      int end = Integer.parseInt(m.group(5));
      tensors.put(m.group(1), m.group(2) + " [" + m.group(3) + "] "
          + java.util.HexFormat.of().formatHex(bytes, 8 + length + start, 8 + length + end));
    }
    return tensors;
  }

  static LongFunction<Model> create(String name) {
    return switch (name) {
      case "lenet5" -> LeNet5Model::create;
      case "resnet" -> MnistResNetModel::create;
      case "mobilenet" -> MnistMobileNetModel::create;
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** A fixture copied out of the test resources. */
  static Path fixture(Path dir, String name) throws IOException {
    Path file = dir.resolve(name);
    if (!Files.exists(file)) {
      try (InputStream in = PyTorchCheckpointTest.class.getResourceAsStream("/pytorch/" + name)) {
        Files.copy(in, file);
      }
    }
    return file;
  }

  /** The float32 tensors of a small safetensors file, flat, by name. */
  static Map<String, float[]> readFloats(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int length = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, length, StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile("\"(\\w+)\":\\{\"dtype\":\"F32\",\"shape\":\\[[0-9,]*\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}")
            .matcher(header);
    Map<String, float[]> tensors = new java.util.HashMap<>();
    while (m.find()) {
      int start = Integer.parseInt(m.group(2));
      int end = Integer.parseInt(m.group(3));
      float[] values = new float[(end - start) / 4];
      ByteBuffer.wrap(bytes, 8 + length + start, end - start).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      tensors.put(m.group(1), values);
    }
    return tensors;
  }
}
