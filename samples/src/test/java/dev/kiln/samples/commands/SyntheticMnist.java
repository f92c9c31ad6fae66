package dev.kiln.samples.commands;

import dev.kiln.runtime.Mnist;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tiny stand-in for MNIST in the four IDX files: 28x28 digits that are a bright bar whose row
 * is the label, on faint noise, so that commands and pictures can be tested in milliseconds.
 */
final class SyntheticMnist {
  private SyntheticMnist() {}

  static Path write(Path dir, int train, int test) throws IOException {
    Files.createDirectories(dir);
    write(dir.resolve(Mnist.TRAIN_IMAGES), dir.resolve(Mnist.TRAIN_LABELS), train, 1);
    write(dir.resolve(Mnist.TEST_IMAGES), dir.resolve(Mnist.TEST_LABELS), test, 2);
    return dir;
  }

  private static void write(Path images, Path labels, int count, long seed) throws IOException {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    ByteArrayOutputStream classes = new ByteArrayOutputStream();
    try (DataOutputStream p = new DataOutputStream(pixels);
        DataOutputStream c = new DataOutputStream(classes)) {
      p.writeInt(0x00000803);
      p.writeInt(count);
      p.writeInt(28);
      p.writeInt(28);
      c.writeInt(0x00000801);
      c.writeInt(count);
      for (int i = 0; i < count; i++) {
        int label = i % 10;
        c.writeByte(label);
        for (int y = 0; y < 28; y++) {
          for (int x = 0; x < 28; x++) {
            boolean bar = y >= 3 + 2 * label && y < 5 + 2 * label && x >= 4 && x < 24;
            p.writeByte(bar ? 200 + random.nextInt(56) : random.nextInt(40));
          }
        }
      }
    }
    Files.write(images, pixels.toByteArray());
    Files.write(labels, classes.toByteArray());
  }
}
