package dev.kiln.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The MNIST digits (or any data set in its four-file IDX layout, such as Fashion-MNIST): 60,000
 * training and 10,000 test images of 28×28 pixels with labels 0 to 9.
 */
public final class Mnist {
  private Mnist() {}

  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  /** SHA-256 of the four uncompressed files of the original MNIST. */
  public static final Map<String, String> SHA256 = new LinkedHashMap<>();

  static {
    SHA256.put(TRAIN_IMAGES, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db");
    SHA256.put(TRAIN_LABELS, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5");
    SHA256.put(TEST_IMAGES, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7");
    SHA256.put(TEST_LABELS, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");
  }

  /** The training and the test set. */
  public record Split(LabeledImages train, LabeledImages test) {}

  /**
   * Reads the four files from {@code dir}, each plain or gzip-compressed ({@code name} or {@code
   * name.gz}).
   */
  public static Split load(Path dir) throws IOException {
    return new Split(
        LabeledImages.readIdx(find(dir, TRAIN_IMAGES), find(dir, TRAIN_LABELS), 10),
        LabeledImages.readIdx(find(dir, TEST_IMAGES), find(dir, TEST_LABELS), 10));
  }

  /** Whether {@code dir} holds all four files, plain or gzipped. */
  public static boolean present(Path dir) {
    for (String name : SHA256.keySet()) {
      if (!Files.isRegularFile(dir.resolve(name)) && !Files.isRegularFile(dir.resolve(name + ".gz"))) {
        return false;
      }
    }
    return true;
  }

  static Path find(Path dir, String name) throws IOException {
    Path plain = dir.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gzipped = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gzipped)) {
      return gzipped;
    }
    throw new java.nio.file.NoSuchFileException(
        plain.toString(), null,
        "not found (nor " + gzipped.getFileName() + "); the directory must hold the four MNIST"
            + " IDX files " + String.join(", ", SHA256.keySet()) + ", plain or .gz");
  }

  /** The SHA-256 of a file, as lower-case hex. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required on every JVM", e);
    }
  }
}
