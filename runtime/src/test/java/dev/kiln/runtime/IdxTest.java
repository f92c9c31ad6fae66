package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir Path dir;

  static byte[] idx(int type, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    return b.array();
  }

  Path write(String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    return file;
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  @Test
  void readsImagesAndLabelsPlainAndGzipped() throws IOException {
    byte[] pixels = {0, (byte) 255, 51, 102, 0, 0, 0, (byte) 255};
    Path images = write("images", gzip(idx(8, new int[] {2, 2, 2}, pixels)));
    Path labels = write("labels.idx", idx(8, new int[] {2}, new byte[] {7, 3}));
    LabeledImages set = LabeledImages.readIdx(images, labels, 10);
    assertEquals(2, set.size());
    assertEquals("2x2x1", set.shape().toString());
    assertArrayEquals(new int[] {7, 3}, set.labels());
    assertArrayEquals(new float[] {0, 1, 0.2f, 0.4f, 0, 0, 0, 1}, set.images(), 1e-6f);
    assertEquals(1, set.first(1).size());
  }

  @Test
  void rejectsBrokenFilesSayingWhatIsWrong() throws IOException {
    byte[] good = idx(8, new int[] {2, 2, 2}, new byte[8]);
    assertMessage(write("short", new byte[] {0, 0}), "too short for an IDX header");
    byte[] magic = good.clone();
    magic[0] = 0x50;
    assertMessage(write("magic", magic), "not an IDX file: it starts with 50 00");
    assertMessage(
        write("float", idx(0x0D, new int[] {2}, new byte[8])),
        "IDX element type 0x0d (float) is not supported");
    assertMessage(
        write("truncated", java.util.Arrays.copyOf(good, good.length - 3)),
        "the header says [2, 2, 2] = 8 bytes of data, but the file has 5 (truncated)");
    assertMessage(
        write("trailing", java.util.Arrays.copyOf(good, good.length + 1)),
        "but the file has 9 (trailing bytes)");
    assertMessage(write("zero", idx(8, new int[] {0, 3}, new byte[0])), "dimension 0 is 0");
    byte[] badGzip = gzip(good);
    badGzip = java.util.Arrays.copyOf(badGzip, badGzip.length / 2);
    assertMessage(write("gz", badGzip), "corrupt gzip data");
    assertMessage(dir, "is a directory");
  }

  @Test
  void rejectsLabelsThatDoNotMatchTheImages() throws IOException {
    Path images = write("i", idx(8, new int[] {2, 1, 1}, new byte[2]));
    Path three = write("l3", idx(8, new int[] {3}, new byte[3]));
    IOException e = assertThrows(IOException.class, () -> LabeledImages.readIdx(images, three, 10));
    assertTrue(e.getMessage().contains("has 3 labels but i has 2 images"), e.getMessage());
    Path outOfRange = write("l", idx(8, new int[] {2}, new byte[] {1, 12}));
    e = assertThrows(IOException.class, () -> LabeledImages.readIdx(images, outOfRange, 10));
    assertTrue(e.getMessage().contains("label 1 is 12, outside [0, 10)"), e.getMessage());
  }

  @Test
  void rejectsWrongShapesEmptyFilesAndAbsurdHeaders() throws IOException {
    assertMessage(write("empty", new byte[0]), "too short for an IDX header (0 bytes)");
    assertMessage(write("rank0", idx(8, new int[0], new byte[0])), "IDX header declares 0 dimensions");
    byte[] rank200 = {0, 0, 8, (byte) 200, 0, 0, 0, 1};
    assertMessage(write("rank200", rank200), "truncated in the header: 200 dimensions need 804 bytes");
    assertMessage(write("negative", idx(8, new int[] {2, -3}, new byte[0])), "dimension 1 is -3");
    // Found here: the dimensions' product was a long that wrapped, and 4 x 65536 "needed" 0 bytes,
    // so this 20-byte file read as 65536 images of 65536x65536x65536 pixels.
    assertMessage(
        write("wraps", idx(8, new int[] {65536, 65536, 65536, 65536}, new byte[0])),
        "the header says [65536, 65536, 65536, 65536] = more than 2^63 bytes of data, but the file"
            + " has 0 (truncated)");
    assertMessage(
        write("huge", idx(8, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[3])),
        "= 4611686014132420609 bytes of data, but the file has 3 (truncated)");

    // Wrong shapes for images and labels, each file valid on its own.
    Path labels = write("labels", idx(8, new int[] {2}, new byte[] {1, 2}));
    Path flat = write("flat", idx(8, new int[] {2, 4}, new byte[8]));
    IOException e = assertThrows(IOException.class, () -> LabeledImages.readIdx(flat, labels, 10));
    assertTrue(e.getMessage().contains(
        "images must be [count, rows, columns] or [count, rows, columns, channels], got [2, 4]"),
        e.getMessage());
    Path five = write("five", idx(8, new int[] {2, 1, 1, 1, 1}, new byte[2]));
    assertThrows(IOException.class, () -> LabeledImages.readIdx(five, labels, 10));
    Path images = write("images", idx(8, new int[] {2, 2, 2}, new byte[8]));
    e = assertThrows(IOException.class, () -> LabeledImages.readIdx(images, images, 10));
    assertTrue(e.getMessage().contains("labels must be [count], got [2, 2, 2]"), e.getMessage());
    assertTrue(e.getMessage().startsWith(images.toString()), e.getMessage());
    e = assertThrows(IOException.class, () -> LabeledImages.readIdx(dir.resolve("nope"), labels, 10));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    System.out.println("IdxTest: 12 broken or mismatched IDX files rejected with their reason");
  }

  void assertMessage(Path file, String expected) {
    IOException e = assertThrows(IOException.class, () -> Idx.read(file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
  }
}
