package dev.kiln.onnx;

import dev.kiln.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A constant of an ONNX graph, as the importer folds it: its dims, and its values as floats
 * (float32 and float64 tensors) or as integers in {@code ints} (int32 and int64: shapes,
 * indices, axes). One of {@code floats} and {@code ints} is null.
 */
record Constant(long[] dims, float[] floats, long[] ints) {

  long count() {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  float[] asFloats() {
    if (floats != null) {
      return floats;
    }
    float[] f = new float[ints.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = ints[i];
    }
    return f;
  }

  long[] asInts() {
    if (ints != null) {
      return ints;
    }
    long[] l = new long[floats.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = (long) floats[i];
    }
    return l;
  }

  /**
   * An initializer's or a {@code Constant}'s values: raw little-endian bytes or the typed
   * fields; data stored outside the model ({@code data_location = EXTERNAL}) is read from beside
   * {@code modelFile} (null for a model in memory, which then has none).
   */
  static Constant of(TensorProto t, Path modelFile) throws IOException {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count > Integer.MAX_VALUE / 8) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is too large (" + count + " values)");
    }
    byte[] raw = t.hasRawData() || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL
        ? rawData(t, modelFile) : null;
    int n = (int) count;
    ByteBuffer b = raw == null ? null : ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int type = t.getDataType();
    int width =
        switch (type) {
          case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE -> 4;
          case TensorProto.DataType.INT64_VALUE, TensorProto.DataType.DOUBLE_VALUE -> 8;
          default -> throw new OnnxImportException(
              "tensor '" + t.getName() + "' is of ONNX data type " + type
                  + "; Kiln imports float32 weights (and float64, int32 and int64 constants)");
        };
    if (b != null && raw.length != (long) n * width) {
      throw new OnnxImportException("tensor '" + t.getName() + "' holds " + raw.length
          + " bytes where its shape " + Arrays.toString(dims) + " needs " + (long) n * width
          + " (truncated or corrupt)");
    }
    switch (type) {
      case TensorProto.DataType.FLOAT_VALUE -> {
        float[] f = new float[n];
        if (b != null) {
          b.asFloatBuffer().get(f);
        } else {
          check(t, t.getFloatDataCount(), n);
          for (int i = 0; i < n; i++) {
            f[i] = t.getFloatData(i);
          }
        }
        return new Constant(dims, f, null);
      }
      case TensorProto.DataType.DOUBLE_VALUE -> {
        float[] f = new float[n];
        if (b == null) {
          check(t, t.getDoubleDataCount(), n);
        }
        for (int i = 0; i < n; i++) {
          f[i] = (float) (b != null ? b.getDouble() : t.getDoubleData(i));
        }
        return new Constant(dims, f, null);
      }
      case TensorProto.DataType.INT32_VALUE -> {
        long[] l = new long[n];
        if (b == null) {
          check(t, t.getInt32DataCount(), n);
        }
        for (int i = 0; i < n; i++) {
          l[i] = b != null ? b.getInt() : t.getInt32Data(i);
        }
        return new Constant(dims, null, l);
      }
      default -> {
        long[] l = new long[n];
        if (b == null) {
          check(t, t.getInt64DataCount(), n);
        }
        for (int i = 0; i < n; i++) {
          l[i] = b != null ? b.getLong() : t.getInt64Data(i);
        }
        return new Constant(dims, null, l);
      }
    }
  }

  private static void check(TensorProto t, int count, int n) throws OnnxImportException {
    if (count != n) {
      throw new OnnxImportException("tensor '" + t.getName() + "' holds " + count
          + " values where its shape " + t.getDimsList() + " needs " + n + " (corrupt)");
    }
  }

  private static byte[] rawData(TensorProto t, Path file) throws IOException {
    if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return t.getRawData().toByteArray();
    }
    Map<String, String> where = new LinkedHashMap<>();
    for (StringStringEntryProto e : t.getExternalDataList()) {
      where.put(e.getKey(), e.getValue());
    }
    String location = where.get("location");
    if (location == null) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is stored as external data"
          + " without a location");
    }
    if (file == null) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is stored as external data ('"
          + location + "'), which only a model read from a file can find");
    }
    Path base = file.toAbsolutePath().getParent();
    Path data = base.resolve(location).normalize();
    if (!data.startsWith(base)) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is stored as external data at '"
          + location + "', outside the model's directory " + base);
    }
    if (!Files.isRegularFile(data)) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is stored as external data in "
          + data + ", which is missing; copy it beside " + file.getFileName());
    }
    long offset = Long.parseLong(where.getOrDefault("offset", "0"));
    long size = Files.size(data);
    long length = where.containsKey("length") ? Long.parseLong(where.get("length")) : size - offset;
    if (offset < 0 || length < 0 || offset + length > size || length > Integer.MAX_VALUE) {
      throw new OnnxImportException("tensor '" + t.getName() + "' is external data at bytes "
          + offset + " to " + (offset + length) + " of " + data + ", which has " + size
          + " (truncated)");
    }
    try (InputStream in = Files.newInputStream(data)) {
      in.skipNBytes(offset);
      return in.readNBytes((int) length);
    }
  }
}
