package dev.kiln.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type byte (only
 * {@code 0x08}, unsigned byte, is used by those data sets), the number of dimensions, each
 * dimension as a big-endian int, then the data. Gzip-compressed files are recognized by their
 * magic bytes, whatever their name.
 */
public final class Idx {
  static final int UNSIGNED_BYTE = 0x08;

  private Idx() {}

  /** An IDX tensor of unsigned bytes. */
  public record Tensor(int[] dimensions, byte[] data) {
    public int count() {
      return dimensions[0];
    }

    /** Values per item: the product of every dimension after the first. */
    public int itemSize() {
      int n = 1;
      for (int i = 1; i < dimensions.length; i++) {
        n *= dimensions[i];
      }
      return n;
    }
  }

  public static Tensor read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new DataFormatException(file, "is a directory, expected an IDX file");
    }
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
      bytes = gunzip(file, bytes);
    }
    return parse(file, bytes);
  }

  static Tensor parse(Path file, byte[] bytes) throws DataFormatException {
    if (bytes.length < 4) {
      throw new DataFormatException(
          file, "too short for an IDX header (" + bytes.length + " bytes); the file is truncated");
    }
    if (bytes[0] != 0 || bytes[1] != 0) {
      throw new DataFormatException(
          file,
          String.format(
              "not an IDX file: it starts with %02x %02x, an IDX file starts with 00 00",
              bytes[0] & 0xff, bytes[1] & 0xff));
    }
    int type = bytes[2] & 0xff;
    if (type != UNSIGNED_BYTE) {
      throw new DataFormatException(
          file,
          String.format(
              "IDX element type 0x%02x (%s) is not supported; Kiln reads unsigned bytes (0x08),"
                  + " as in MNIST",
              type, typeName(type)));
    }
    int rank = bytes[3] & 0xff;
    if (rank == 0) {
      throw new DataFormatException(file, "IDX header declares 0 dimensions");
    }
    int header = 4 + 4 * rank;
    if (bytes.length < header) {
      throw new DataFormatException(
          file, "truncated in the header: " + rank + " dimensions need " + header + " bytes");
    }
    int[] dimensions = new int[rank];
    long expected = 1;
    for (int i = 0; i < rank; i++) {
      int o = 4 + 4 * i;
      dimensions[i] =
          ((bytes[o] & 0xff) << 24)
              | ((bytes[o + 1] & 0xff) << 16)
              | ((bytes[o + 2] & 0xff) << 8)
              | (bytes[o + 3] & 0xff);
      if (dimensions[i] <= 0) {
        throw new DataFormatException(
            file, "dimension " + i + " is " + dimensions[i] + "; every dimension must be positive");
      }
      try {
        expected = Math.multiplyExact(expected, dimensions[i]);
      } catch (ArithmeticException e) {
        // Unchecked, the product wraps: four dimensions of 65536 "need" 0 bytes.
        expected = Long.MAX_VALUE;
      }
    }
    long actual = bytes.length - header;
    if (actual != expected) {
      throw new DataFormatException(
          file,
          "the header says "
              + Arrays.toString(dimensions)
              + " = "
              + (expected == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(expected))
              + " bytes of data, but the file has "
              + actual
              + (actual < expected ? " (truncated)" : " (trailing bytes)"));
    }
    return new Tensor(dimensions, Arrays.copyOfRange(bytes, header, bytes.length));
  }

  private static byte[] gunzip(Path file, byte[] bytes) throws DataFormatException {
    try (InputStream in = new GZIPInputStream(new BufferedInputStream(new java.io.ByteArrayInputStream(bytes)))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4);
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new DataFormatException(file, "corrupt gzip data: " + e.getMessage());
    }
  }

  private static String typeName(int type) {
    return switch (type) {
      case 0x09 -> "signed byte";
      case 0x0B -> "short";
      case 0x0C -> "int";
      case 0x0D -> "float";
      case 0x0E -> "double";
      default -> "unknown";
    };
  }
}
