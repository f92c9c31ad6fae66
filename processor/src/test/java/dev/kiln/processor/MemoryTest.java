package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long training run in a JVM of its own with {@code -Xmx256m}: it must complete, and the heap
 * after a full collection must not grow from the second epoch to the last (no leak), while the
 * training thread allocates (almost) nothing per step. See {@link LongTrainingMain}.
 */
class MemoryTest {
  static final int EPOCHS = 150; // 32 steps each

  @TempDir Path dir;

  @Test
  void aLongTrainingRunUnder256MegabytesDoesNotGrow() throws IOException, InterruptedException {
    Map<String, byte[]> classes =
        CompiledModels.classFiles(
            Networks.compile(
                Networks.network(
                    "Endurance",
                    "height = 12, width = 12, channels = 1",
                    "@Conv2D(filters = 6, kernel = 3, padding = Padding.SAME) @ReLU Layer conv;",
                    "@MaxPool(size = 2) Layer pool;",
                    "@Dropout(rate = 0.25) Layer drop;",
                    "@Dense(units = 4) @Softmax Layer out;")));
    for (Map.Entry<String, byte[]> c : classes.entrySet()) {
      Path file = dir.resolve(c.getKey().replace('.', '/') + ".class");
      Files.createDirectories(file.getParent());
      Files.write(file, c.getValue());
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                LongTrainingMain.class.getName(), dir.toString(), "test.EnduranceModel",
                String.valueOf(EPOCHS)));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean finished = child.waitFor(90, TimeUnit.SECONDS);
    if (!finished) {
      child.destroyForcibly();
    }
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.print(output);
    assertTrue(finished, "the training run did not finish in 90 s:\n" + output);
    assertEquals(0, child.exitValue(), "the heap grew, or the run failed:\n" + output);
    assertTrue(output.contains("MEMORY max_heap="), output);
    // About 50 bytes per step are the trainer's thread hand-off (CyclicBarrier generations) and
    // its per-epoch records; one per-sample array of this network would be over 3 KB per step.
    double perStep =
        Double.parseDouble(output.replaceAll("(?s).*allocated_per_step_training_thread=([0-9.]+).*", "$1"));
    assertTrue(perStep < 256, perStep + " bytes allocated per training step");
  }
}
