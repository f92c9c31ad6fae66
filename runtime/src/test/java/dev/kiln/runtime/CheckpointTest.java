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
import org.junit.jupiter.api.AfterAll;
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
    final List<Layer> layers;
    final float[] parameters;

    TinyModel(String name) {
      this(name, LAYERS, 10);
    }

    TinyModel(String name, List<Layer> layers, int parameterCount) {
      this.name = name;
      this.layers = layers;
      this.parameters = new float[parameterCount];
    }

    @Override public String name() { return name; }
    @Override public TensorShape inputShape() { return TensorShape.of(1, 1, 1); }
    @Override public TensorShape outputShape() { return TensorShape.vector(3); }
    @Override public List<Layer> layers() { return layers; }
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

  /**
   * Tensors made outside a model (an imported ONNX graph's) save to the same bytes as the model
   * holding them, and load into it; a shape that does not hold the values is refused.
   */
  @Test
  void namedTensorsSaveAsTheModelWouldAndLoadIntoIt() throws IOException {
    TinyModel model = model(1);
    Path fromModel = dir.resolve("model.safetensors");
    Checkpoint.save(model, fromModel);
    Path fromTensors = dir.resolve("tensors.safetensors");
    float[] p = model.parameters;
    Checkpoint.save(
        "Tiny",
        List.of(
            new Checkpoint.Tensor("conv.kernel", new int[] {1, 1, 1, 2}, new float[] {p[0], p[1]}),
            new Checkpoint.Tensor("conv.bias", new int[] {2}, new float[] {p[2], p[3]}),
            new Checkpoint.Tensor("dense.kernel", new int[] {2, 3},
                java.util.Arrays.copyOfRange(p, 4, 10))),
        fromTensors,
        java.util.Map.of());
    assertArrayEquals(Files.readAllBytes(fromModel), Files.readAllBytes(fromTensors));
    TinyModel loaded = model(-100);
    Checkpoint.load(loaded, fromTensors);
    assertArrayEquals(model.parameters, loaded.parameters, 0f);
    assertThrows(
        IllegalArgumentException.class,
        () -> new Checkpoint.Tensor("conv.bias", new int[] {3}, new float[2]));
  }

  /**
   * Names in several scripts (Java identifiers may be any letters): the header is padded in
   * bytes, so the data stays 8-byte aligned whatever the UTF-8 length of the names, and the file
   * loads back.
   */
  @Test
  void namesInAnyScriptKeepTheDataAligned() throws IOException {
    for (String name : java.util.List.of("Réseau", "Сеть", "网络", "ネットワーク", "Δίκτυο1", "नेटवर्क", "Tiny")) {
      for (String layer : java.util.List.of("conv", "σ", "卷积层", "свёртка")) {
        java.util.List<Layer> layers =
            java.util.List.of(
                new Layer(layer, "Conv2D 1x1", TensorShape.of(1, 1, 1), TensorShape.of(1, 1, 2), 0,
                    new int[] {1, 1, 1, 2}, 2, 2),
                new Layer("dense", "Dense 3 no bias", TensorShape.vector(2), TensorShape.vector(3), 4,
                    new int[] {2, 3}, -1, 0));
        TinyModel saved = new TinyModel(name, layers, 10);
        for (int i = 0; i < 10; i++) {
          saved.parameters[i] = i + 0.5f;
        }
        Path file = dir.resolve(name + "-" + layer + ".safetensors");
        Checkpoint.save(saved, file);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, name + "/" + layer + ": data aligned to 8 bytes");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"network\":\"" + name + "\""), header);
        assertTrue(header.contains("\"" + layer + ".kernel\""), header);
        assertEquals(8 + headerLength + 40, bytes.length, name + "/" + layer);
        TinyModel loaded = new TinyModel(name, layers, 10);
        Checkpoint.load(loaded, file);
        assertArrayEquals(saved.parameters, loaded.parameters, 0f, name + "/" + layer);
      }
    }
  }

  /** What made a checkpoint is kept in its metadata and read back; loading ignores it. */
  @Test
  void metadataSaysWhatMadeTheCheckpoint() throws IOException {
    Path file = dir.resolve("about.safetensors");
    TinyModel saved = model(1);
    Checkpoint.save(saved, file, java.util.Map.of("command", "./kiln mnist", "epochs", "10", "test_accuracy", "0.9922"));
    assertEquals(
        java.util.Map.of("format", "kiln", "network", "Tiny", "command", "./kiln mnist", "epochs", "10",
            "test_accuracy", "0.9922"),
        Checkpoint.metadata(file));
    TinyModel loaded = model(-5);
    Checkpoint.load(loaded, file);
    assertArrayEquals(saved.parameters, loaded.parameters, 0f);
    Checkpoint.save(saved, file);
    assertEquals(java.util.Map.of("format", "kiln", "network", "Tiny"), Checkpoint.metadata(file));
  }

  /** A checkpoint gets the permissions any new file gets (the umask's), not owner-only. */
  @Test
  void checkpointsHonourTheUmask() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    Path probe = Files.createFile(dir.resolve("probe"));
    java.util.Set<java.nio.file.attribute.PosixFilePermission> expected =
        Files.getPosixFilePermissions(probe);
    Path file = dir.resolve("shared.safetensors");
    Checkpoint.save(model(1), file);
    assertEquals(expected, Files.getPosixFilePermissions(file));
    Checkpoint.save(model(2), file); // replacing an existing one too
    assertEquals(expected, Files.getPosixFilePermissions(file));
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

  /** Bad files tried by this class's hostile-input tests, for the report. */
  static int badFiles;

  /** A safetensors file from a header (padded to 8 bytes) and data. */
  static byte[] safetensors(String header, byte[] data) {
    StringBuilder h = new StringBuilder(header);
    while ((h.length() + 8) % 8 != 0) {
      h.append(' ');
    }
    byte[] headerBytes = h.toString().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + headerBytes.length + data.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(headerBytes.length)
        .put(headerBytes)
        .put(data)
        .array();
  }

  static final String TINY_HEADER =
      "{\"__metadata__\":{\"format\":\"kiln\",\"network\":\"Tiny\"},"
          + "\"conv.kernel\":{\"dtype\":\"F32\",\"shape\":[1,1,1,2],\"data_offsets\":[0,8]},"
          + "\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
          + "\"dense.kernel\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]}}";

  @Test
  void rejectsForgedHeadersTruncationAndAbsurdLengths() throws IOException {
    // Found here: two tensors over the same bytes summed to the data length and were accepted,
    // so conv.bias silently got conv.kernel's values.
    assertRejected(
        safetensors(TINY_HEADER.replace("[8,16]", "[0,8]"), new byte[40]),
        "tensor data_offsets overlap at byte 0");
    assertRejected(
        safetensors(TINY_HEADER.replace("[16,40]", "[24,48]"), new byte[48]),
        "tensor data_offsets leave a gap at byte 16");
    byte[] good = safetensors(TINY_HEADER, new byte[40]);
    byte[] negative = good.clone();
    ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -8);
    assertRejected(negative, "header length -8");
    byte[] zero = good.clone();
    ByteBuffer.wrap(zero).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0);
    assertRejected(zero, "header length 0");
    assertRejected(new byte[0], "too short for a safetensors file (0 bytes)");
    assertRejected(safetensors("not json at all", new byte[40]), "corrupt safetensors header");
    assertRejected(safetensors("[]", new byte[0]), "the header is not a JSON object");
    assertRejected(safetensors("[".repeat(100), new byte[0]), "nested deeper than");
    assertRejected(
        safetensors(TINY_HEADER.replace("[0,8]", "[0,8.5]"), new byte[40]), "only integers");
    assertRejected(
        safetensors(TINY_HEADER.replace("[0,8]", "[0,99999999999999999999]"), new byte[40]),
        "bad number");
    assertRejected(
        safetensors(TINY_HEADER.replace("[1,1,1,2]", "\"two\""), new byte[40]),
        "conv.kernel: shape must be a list of integers");
    assertRejected(
        safetensors(TINY_HEADER.replace("{\"dtype\":\"F32\",\"shape\":[2,3]", "{\"dtype\":\"I32\",\"shape\":[2,3]"),
            new byte[40]),
        "dense.kernel: dtype I32, expected F32");
    assertRejected(
        safetensors(TINY_HEADER.replace("[16,40]", "[16,4000000000]"), new byte[40]),
        "dense.kernel: data_offsets [16, 4000000000] do not hold 6 floats");
  }

  @AfterAll
  static void report() {
    System.out.println(
        "CheckpointTest: " + badFiles + " bad checkpoint files, targets and foreign networks"
            + " refused, the model and the old file unchanged each time");
  }

  @Test
  void aCheckpointOfAnotherNetworkIsRefusedNamingTheDifference() throws IOException {
    // Another architecture: different layer names and shapes.
    List<Layer> wide =
        List.of(
            new Layer("c1", "Conv2D 3x3", TensorShape.of(4, 4, 1), TensorShape.of(2, 2, 4), 0,
                new int[] {3, 3, 1, 4}, 36, 4));
    Path file = dir.resolve("wide.safetensors");
    Checkpoint.save(new TinyModel("Wide", wide, 40), file);
    TinyModel tiny = model(3);
    float[] before = tiny.parameters.clone();
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(tiny, file));
    assertTrue(
        e.getMessage().contains(
            "does not match network Tiny: missing [conv.kernel, conv.bias, dense.kernel]:"
                + " unexpected [c1.kernel, c1.bias] (is it a checkpoint of another network?)"),
        e.getMessage());
    assertArrayEquals(before, tiny.parameters, 0f);
    // Same layer names, other shapes: the first mismatch is named.
    List<Layer> bigger =
        List.of(
            new Layer("conv", "Conv2D 1x1", TensorShape.of(1, 1, 1), TensorShape.of(1, 1, 3), 0,
                new int[] {1, 1, 1, 3}, 3, 3),
            new Layer("dense", "Dense 3 no bias", TensorShape.vector(3), TensorShape.vector(3), 6,
                new int[] {3, 3}, -1, 0));
    Checkpoint.save(new TinyModel("Tiny", bigger, 15), file);
    e = assertThrows(IOException.class, () -> Checkpoint.load(tiny, file));
    assertTrue(
        e.getMessage().contains("conv.kernel: shape [1, 1, 1, 3], but Tiny expects [1, 1, 1, 2]"),
        e.getMessage());
    assertArrayEquals(before, tiny.parameters, 0f);
    // The same layout under another class name loads: tensors are matched by name and shape
    // (the network name in the metadata is informative, e.g. after renaming the class).
    Checkpoint.save(model(5), file);
    TinyModel renamed = new TinyModel("Renamed");
    Checkpoint.load(renamed, file);
    assertArrayEquals(model(5).parameters, renamed.parameters, 0f);
    badFiles += 2;
  }

  @Test
  void aTargetThatCannotBeWrittenLeavesTheOldCheckpoint() throws IOException {
    // The sandbox runs as root, so a read-only directory would not stop the write: a parent
    // that is a regular file (or missing) does.
    Path good = dir.resolve("good.safetensors");
    Checkpoint.save(model(1), good);
    byte[] before = Files.readAllBytes(good);
    IOException e =
        assertThrows(IOException.class, () -> Checkpoint.save(model(2), good.resolve("child.safetensors")));
    assertTrue(e.getMessage().contains(good + " is not a directory"), e.getMessage());
    e = assertThrows(
        IOException.class, () -> Checkpoint.save(model(2), dir.resolve("missing").resolve("m.safetensors")));
    assertTrue(e.getMessage().contains("missing does not exist"), e.getMessage());
    assertThrows(java.nio.file.NoSuchFileException.class,
        () -> Checkpoint.load(model(0), dir.resolve("absent.safetensors")));
    assertArrayEquals(before, Files.readAllBytes(good));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(good), files.toList(), "no temporary file is left behind");
    }
    badFiles += 3;
  }

  void assertRejected(byte[] content, String expected) throws IOException {
    badFiles++;
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
