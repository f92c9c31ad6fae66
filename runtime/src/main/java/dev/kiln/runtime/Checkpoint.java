package dev.kiln.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads a model's parameters in the safetensors format (which PyTorch and Hugging Face
 * tools read): an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the little-endian data. Kiln writes one float32 tensor per layer
 * parameter, {@code <layer>.kernel} and {@code <layer>.bias}, in TensorFlow layout (HWIO or
 * {@code [in, out]}); a BatchNorm has {@code <layer>.gamma}, {@code .beta}, {@code .moving_mean}
 * and {@code .moving_variance} (Keras's names), the last two from {@link Model#state()}.
 *
 * <p>Saving is atomic: the file is written next to the target, flushed, then renamed over it, so
 * a crash leaves the previous checkpoint intact. Loading checks every name, dtype, shape and byte
 * range before it changes the model, so a bad file leaves the model as it was.
 */
public final class Checkpoint {
  /** A header larger than this is not a checkpoint Kiln wrote (and would waste memory). */
  static final long MAX_HEADER = 16 << 20;

  private Checkpoint() {}

  /**
   * One tensor of a model: its name, shape and where it sits in the parameter array (or, for
   * {@code state}, in {@link Model#state()}).
   */
  record Entry(String name, int[] shape, int offset, int count, boolean state) {
    Entry(String name, int[] shape, int offset, int count) {
      this(name, shape, offset, count, false);
    }
  }

  static List<Entry> entries(Model model) {
    List<Entry> entries = new ArrayList<>();
    for (Layer layer : model.layers()) {
      if (layer.weightCount() > 0) {
        entries.add(
            new Entry(
                layer.name() + "." + layer.weightName(),
                layer.weightShape(),
                layer.weightOffset(),
                layer.weightCount()));
      }
      if (layer.hasBias()) {
        entries.add(
            new Entry(
                layer.name() + "." + layer.biasName(),
                new int[] {layer.biasCount()},
                layer.biasOffset(),
                layer.biasCount()));
      }
      if (layer.batchNorm()) {
        int channels = layer.stateCount() / 2;
        entries.add(
            new Entry(layer.name() + ".moving_mean", new int[] {channels}, layer.stateOffset(),
                channels, true));
        entries.add(
            new Entry(layer.name() + ".moving_variance", new int[] {channels},
                layer.stateOffset() + channels, channels, true));
      }
    }
    return entries;
  }

  public static void save(Model model, Path file) throws IOException {
    save(model, file, Map.of());
  }

  /**
   * Saves with what made the checkpoint ({@code about}: for example the command, the epochs, the
   * training-set size and the test accuracy), kept as strings in the safetensors metadata beside
   * {@code format} and {@code network}, and read back by {@link #metadata}.
   */
  public static void save(Model model, Path file, Map<String, String> about) throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    for (Entry e : entries(model)) {
      float[] values = e.state() ? model.state() : model.parameters();
      tensors.add(
          new Tensor(e.name(), e.shape(),
              Arrays.copyOfRange(values, e.offset(), e.offset() + e.count())));
    }
    save(model.name(), tensors, file, about);
  }

  /**
   * A named float32 tensor of a checkpoint, in Kiln's layout: {@code <layer>.kernel} HWIO or
   * {@code [in, out]}, {@code <layer>.bias}, a BatchNorm's {@code .gamma}, {@code .beta}, {@code
   * .moving_mean} and {@code .moving_variance}.
   */
  public record Tensor(String name, int[] shape, float[] values) {
    public Tensor {
      long count = 1;
      for (int d : shape) {
        count *= d;
      }
      if (count != values.length) {
        throw new IllegalArgumentException(
            name + ": shape " + Arrays.toString(shape) + " holds " + count + " values, not "
                + values.length);
      }
    }
  }

  /**
   * Saves {@code tensors}, in order, as a checkpoint of the network named {@code network}: the
   * file {@link #load} reads into that network's generated model, for parameters made outside a
   * model (an imported ONNX graph's). Atomic, as {@link #save(Model, Path, Map)}.
   */
  public static void save(
      String network, List<Tensor> tensors, Path file, Map<String, String> about) throws IOException {
    Map<String, String> metadata = new java.util.LinkedHashMap<>();
    metadata.put("format", "kiln");
    metadata.put("network", network);
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(about).entrySet()) {
      if (e.getKey().equals("format") || e.getKey().equals("network")) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is the checkpoint's own metadata");
      }
      metadata.put(e.getKey(), e.getValue());
    }
    write(metadata, tensors, file);
  }

  /** A safetensors file of float32 {@code tensors} with {@code metadata}, written atomically. */
  static void write(Map<String, String> metadata, List<Tensor> tensors, Path file) throws IOException {
    StringBuilder header = new StringBuilder("{\"__metadata__\":{");
    String separator = "";
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      header.append(separator).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
      separator = ",";
    }
    header.append('}');
    long offset = 0;
    for (Tensor t : tensors) {
      long end = offset + 4L * t.values().length;
      header
          .append(',')
          .append(quote(t.name()))
          .append(":{\"dtype\":\"F32\",\"shape\":")
          .append(Arrays.toString(t.shape()).replace(" ", ""))
          .append(",\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(end)
          .append("]}");
      offset = end;
    }
    header.append('}');
    // safetensors aligns the data to 8 bytes with spaces: counted in bytes, as names may be any
    // letters and take two or more bytes each in UTF-8.
    byte[] unpadded = header.toString().getBytes(StandardCharsets.UTF_8);
    byte[] headerBytes = Arrays.copyOf(unpadded, (unpadded.length + 7) / 8 * 8);
    Arrays.fill(headerBytes, unpadded.length, headerBytes.length, (byte) ' ');
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(8 + headerBytes.length + offset))
            .order(ByteOrder.LITTLE_ENDIAN);
    data.putLong(headerBytes.length).put(headerBytes);
    for (Tensor t : tensors) {
      for (float v : t.values()) {
        data.putFloat(v);
      }
    }
    data.flip();
    writeAtomically(
        file,
        channel -> {
          while (data.hasRemaining()) {
            channel.write(data);
          }
        });
  }

  /** Writes next to {@code file}, forces it to disk, then renames it over {@code file}. */
  static void writeAtomically(Path file, AtomicFiles.Content content) throws IOException {
    AtomicFiles.write(file, "checkpoint", content);
  }

  /**
   * The checkpoint's metadata: {@code format}, {@code network} and whatever {@link #save(Model,
   * Path, Map)} was told; empty for a safetensors file without any.
   */
  public static Map<String, String> metadata(Path file) throws IOException {
    // The header only: a checkpoint's tensors may be hundreds of megabytes.
    byte[] head;
    try (java.io.InputStream in = Files.newInputStream(file)) {
      byte[] length = in.readNBytes(8);
      long n = length.length < 8 ? 0 : ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
      byte[] json = n > 0 && n <= MAX_HEADER ? in.readNBytes((int) n) : new byte[0];
      head = new byte[length.length + json.length];
      System.arraycopy(length, 0, head, 0, length.length);
      System.arraycopy(json, 0, head, length.length, json.length);
    }
    Map<?, ?> header = header(file, head);
    Map<String, String> metadata = new java.util.TreeMap<>();
    if (header.get("__metadata__") instanceof Map<?, ?> map) {
      map.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
    }
    return metadata;
  }

  /** The JSON header of a safetensors file's bytes, checked for size and form. */
  static Map<?, ?> header(Path file, byte[] bytes) throws IOException {
    if (bytes.length < 8) {
      throw new DataFormatException(file, "too short for a safetensors file (" + bytes.length + " bytes)");
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = buffer.getLong();
    if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > bytes.length - 8) {
      throw new DataFormatException(
          file,
          "not a safetensors file or truncated: header length " + headerLength + " in a file of "
              + bytes.length + " bytes");
    }
    try {
      Object parsed =
          Json.parse(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException("the header is not a JSON object");
      }
      return map;
    } catch (IllegalArgumentException e) {
      throw new DataFormatException(file, "corrupt safetensors header: " + e.getMessage());
    }
  }

  /** Replaces the model's parameters with the checkpoint's, after checking all of it. */
  public static void load(Model model, Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new DataFormatException(file, "is a directory, expected a .safetensors file");
    }
    byte[] bytes = Files.readAllBytes(file);
    Map<?, ?> header = header(file, bytes);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    int dataStart = 8 + (int) headerLength;
    long dataLength = bytes.length - dataStart;

    float[] loaded = model.parameters().clone();
    float[] loadedState = model.state().clone();
    Map<String, Entry> expected = new LinkedHashMap<>();
    for (Entry e : entries(model)) {
      expected.put(e.name(), e);
    }
    checkNames(
        file, header, expected.keySet(), name -> false, "does not match network " + model.name(),
        " (is it a checkpoint of another network?)");
    long[][] ranges = new long[expected.size()][];
    int filled = 0;
    for (Entry e : expected.values()) {
      ranges[filled] = new long[2];
      float[] values =
          tensor(file, bytes, header, e.name(), e.shape(), e.count(), "", model.name() + " expects "
              + Arrays.toString(e.shape()), ranges[filled++]);
      System.arraycopy(values, 0, e.state() ? loadedState : loaded, e.offset(), values.length);
    }
    // The tensors must tile the data: overlapping ranges (two tensors reading the same bytes,
    // the others never read) add up to the right total, so the sum alone proves nothing.
    Arrays.sort(ranges, (a, b) -> Long.compare(a[0], b[0]));
    long covered = 0;
    for (long[] range : ranges) {
      if (range[0] != covered) {
        throw new DataFormatException(
            file, "tensor data_offsets " + (range[0] < covered ? "overlap" : "leave a gap")
                + " at byte " + Math.min(range[0], covered) + " (corrupt)");
      }
      covered = range[1];
    }
    if (covered != dataLength) {
      throw new DataFormatException(
          file, "holds " + dataLength + " data bytes but its tensors cover " + covered);
    }
    System.arraycopy(loaded, 0, model.parameters(), 0, loaded.length);
    System.arraycopy(loadedState, 0, model.state(), 0, loadedState.length);
  }

  /**
   * Loads a PyTorch state dict saved as safetensors ({@code safetensors.torch.save_file(
   * model.state_dict(), path)}) into a model of the same architecture whose layers are named as
   * PyTorch's modules ({@code self.c1 = nn.Conv2d(...)} for Kiln's {@code c1}). Kernels, dense
   * weights (and the CHW order of a flattened input) and BatchNorm statistics are converted to
   * Kiln's layouts; see docs/onnx.md. Checks every name, dtype and shape before it changes the
   * model.
   *
   * @throws DataFormatException if the file is not such a state dict of this network
   */
  public static void loadPyTorch(Model model, Path file) throws IOException {
    loadPyTorch(model, file, Map.of());
  }

  /**
   * Writes {@code model}'s parameters and BatchNorm statistics as a PyTorch state dict in
   * safetensors, for a PyTorch module of the same architecture whose modules are named after
   * Kiln's layers: {@code model.load_state_dict(safetensors.torch.load_file(path))}. The layouts
   * are {@link #loadPyTorch}'s, reversed (HWIO kernels to OIHW, {@code [in, out]} dense weights to
   * {@code [out, in]} with HWC-flattened rows to CHW, a BatchNorm's gamma, beta and moving
   * statistics to {@code weight}, {@code bias}, {@code running_mean} and {@code running_var}).
   * Written whole or not at all.
   */
  public static void savePyTorch(Model model, Path file) throws IOException {
    savePyTorch(model, file, Map.of());
  }

  /** {@link #savePyTorch(Model, Path)} with the modules named as {@link #loadPyTorch(Model, Path, Map)} maps them. */
  public static void savePyTorch(Model model, Path file, Map<String, String> modules) throws IOException {
    PyTorchStateDict.save(model, file, modules);
  }

  /**
   * {@link #loadPyTorch(Model, Path)} where PyTorch's modules have other names: {@code modules}
   * maps a Kiln layer's name to its module's ({@code "c1" -> "features.0"}); layers it does not
   * name keep their own.
   */
  public static void loadPyTorch(Model model, Path file, Map<String, String> modules)
      throws IOException {
    PyTorchStateDict.load(model, file, modules);
  }

  /**
   * Every tensor in {@code expected} is in the header and the header holds no other (but its
   * metadata and the names {@code ignored} accepts), else {@code problem} with the missing and
   * unexpected names, then {@code hint}.
   */
  static void checkNames(
      Path file, Map<?, ?> header, java.util.Set<String> expected,
      java.util.function.Predicate<String> ignored, String problem, String hint)
      throws DataFormatException {
    List<String> unexpected = new ArrayList<>();
    for (Object key : header.keySet()) {
      String name = String.valueOf(key);
      if (!name.equals("__metadata__") && !expected.contains(name) && !ignored.test(name)) {
        unexpected.add(name);
      }
    }
    List<String> missing = new ArrayList<>();
    for (String name : expected) {
      if (!header.containsKey(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new DataFormatException(
          file,
          problem
              + (missing.isEmpty() ? "" : ": missing " + missing)
              + (unexpected.isEmpty() ? "" : ": unexpected " + unexpected)
              + hint);
    }
  }

  /**
   * Tensor {@code name}'s {@code count} floats, after checking its header entry: an object, F32
   * (else the message ends with {@code dtypeHint}), of {@code shape} (else "but " {@code
   * expectation}), and data offsets inside the file's data that hold exactly its floats; the
   * offsets go to {@code range}.
   */
  static float[] tensor(
      Path file, byte[] bytes, Map<?, ?> header, String name, int[] shape, int count,
      String dtypeHint, String expectation, long[] range) throws DataFormatException {
    int dataStart = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    long dataLength = bytes.length - dataStart;
    if (!(header.get(name) instanceof Map<?, ?> tensor)) {
      throw new DataFormatException(file, name + ": expected an object in the header");
    }
    if (!"F32".equals(tensor.get("dtype"))) {
      throw new DataFormatException(
          file, name + ": dtype " + tensor.get("dtype") + ", expected F32 (float32" + dtypeHint + ")");
    }
    List<Long> actual = longs(file, name, "shape", tensor.get("shape"));
    if (!actual.equals(Arrays.stream(shape).asLongStream().boxed().toList())) {
      throw new DataFormatException(file, name + ": shape " + actual + ", but " + expectation);
    }
    List<Long> offsets = longs(file, name, "data_offsets", tensor.get("data_offsets"));
    if (offsets.size() != 2
        || offsets.get(0) < 0
        || offsets.get(1) - offsets.get(0) != 4L * count
        || offsets.get(1) > dataLength) {
      throw new DataFormatException(
          file, name + ": data_offsets " + offsets + " do not hold " + count
              + " floats within the " + dataLength + " data bytes (truncated or corrupt)");
    }
    range[0] = offsets.get(0);
    range[1] = offsets.get(1);
    float[] values = new float[count];
    ByteBuffer.wrap(bytes, dataStart + offsets.get(0).intValue(), 4 * count)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(values);
    return values;
  }

  static List<Long> longs(Path file, String name, String field, Object value)
      throws DataFormatException {
    if (!(value instanceof List<?> list)) {
      throw new DataFormatException(file, name + ": " + field + " must be a list of integers");
    }
    List<Long> result = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Long l)) {
        throw new DataFormatException(file, name + ": " + field + " must be a list of integers");
      }
      result.add(l);
    }
    return result;
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
