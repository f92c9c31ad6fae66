package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;

  /** A hand-written model with a 1x1 conv (kernel and bias) and a dense layer without bias. */
  static final class TinyModel implements Model {
    static final List<Layer> LAYERS =
        List.of(
            new Layer("conv", "Conv2D 1x1", TensorShape.of(1, 1, 1), TensorShape.of(1, 1, 2), 0,
                new int[] {1, 1, 1, 2}, 2, 2),
            new Layer("dense", "Dense 3 no bias", TensorShape.vector(2), TensorShape.vector(3), 4,
                new int[] {2, 3}, -1, 0));
    final String name;
    final float[] parameters = new float[10];

    TinyModel(String name) {
      this.name = name;
    }

    @Override public String name() { return name; }
    @Override public TensorShape inputShape() { return TensorShape.of(1, 1, 1); }
    @Override public TensorShape outputShape() { return TensorShape.vector(3); }
    @Override public List<Layer> layers() { return LAYERS; }
    @Override public float[] parameters() { return parameters; }
    @Override public String summary() { return name; }
    @Override public void predict(float[] input, float[] output) { throw new UnsupportedOperationException(); }
    @Override public void predictBatch(float[] inputs, float[] outputs, int threads) { throw new UnsupportedOperationException(); }
    @Override public float[] layerOutput(float[] input, Layer layer) { throw new UnsupportedOperationException(); }
    @Override public Loss loss() { return Loss.MEAN_SQUARED_ERROR; }
    @Override public int trainingWorkspaceSize() { return 0; }
    @Override public float trainSample(float[] x, int xo, float[] t, int to, float[] out, int oo, float[] g, float[] ws, long noise) { throw new UnsupportedOperationException(); }
  }

  static TinyModel model(float start) {
    TinyModel m = new TinyModel("Tiny");
    for (int i = 0; i < m.parameters.length; i++) {
      m.parameters[i] = start + i * 0.25f;
    }
    return m;
  }

  @Test
  void roundTripsAndWritesStandardSafetensors() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    TinyModel saved = model(1);
    Checkpoint.save(saved, file);
    TinyModel loaded = model(-100);
    Checkpoint.load(loaded, file);
    assertArrayEquals(saved.parameters, loaded.parameters, 0f);

    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + headerLength) % 8, "data aligned to 8 bytes");
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).strip();
    assertEquals(
        "{\"__metadata__\":{\"format\":\"kiln\",\"network\":\"Tiny\"},"
            + "\"conv.kernel\":{\"dtype\":\"F32\",\"shape\":[1,1,1,2],\"data_offsets\":[0,8]},"
            + "\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"dense.kernel\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]}}",
        header);
    assertEquals(8 + headerLength + 40, bytes.length);
    // conv.bias is parameters[2..4) = 1.5, 1.75, little-endian float32
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + headerLength) + 8, 8).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1.5f, data.getFloat());
    assertEquals(1.75f, data.getFloat());
  }

  @Test
  void rejectsBadFilesAndLeavesTheModelUnchanged() throws IOException {
    Path good = dir.resolve("good.safetensors");
    Checkpoint.save(model(1), good);
    byte[] bytes = Files.readAllBytes(good);

    assertRejected(Arrays.copyOf(bytes, bytes.length - 4), "do not hold 6 floats");
    assertRejected(Arrays.copyOf(bytes, 5), "too short");
    assertRejected(Arrays.copyOf(bytes, bytes.length + 4), "holds 44 data bytes but its tensors cover 40");
    byte[] huge = bytes.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
    assertRejected(huge, "header length 1099511627776");
    assertRejected(replace(bytes, "F32", "F16"), "conv.kernel: dtype F16, expected F32");
    assertRejected(replace(bytes, "[2,3]", "[3,2]"), "dense.kernel: shape [3, 2], but Tiny expects [2, 3]");
    assertRejected(replace(bytes, "conv.bias", "conv.bian"), "missing [conv.bias]: unexpected [conv.bian]");
    assertRejected(replace(bytes, "{\"dtype", "[\"dtype"), "corrupt safetensors header");

    TinyModel other = new TinyModel("Other");
    Path otherFile = dir.resolve("other.safetensors");
    Checkpoint.save(other, otherFile);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(model(0), dir));
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  @Test
  void anInterruptedSaveLeavesTheOldCheckpoint() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Checkpoint.save(model(1), file);
    byte[] before = Files.readAllBytes(file);
    assertThrows(
        IOException.class,
        () ->
            Checkpoint.writeAtomically(
                file,
                channel -> {
                  channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                  throw new IOException("disk full (simulated)");
                }));
    assertArrayEquals(before, Files.readAllBytes(file));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
    TinyModel loaded = model(0);
    Checkpoint.load(loaded, file);
    assertArrayEquals(model(1).parameters, loaded.parameters, 0f);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.save(model(1), dir));
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  void assertRejected(byte[] content, String expected) throws IOException {
    Path file = Files.write(dir.resolve("bad.safetensors"), content);
    TinyModel m = model(7);
    float[] before = m.parameters.clone();
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(m, file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertArrayEquals(before, m.parameters, 0f, "a failed load changes nothing");
  }

  static byte[] replace(byte[] file, String from, String to) {
    String s = new String(file, StandardCharsets.ISO_8859_1);
    return s.replaceFirst(java.util.regex.Pattern.quote(from), to).getBytes(StandardCharsets.ISO_8859_1);
  }
}
