package dev.kiln.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./kiln spark score and train, run in this JVM on the tests' local Spark. */
class SparkCommandsTest {
  static final String DATA = System.getProperty("kiln.data", "../data/mnist");

  record Run(int status, String out, String err) {
    String result() {
      return out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse("(no RESULT line)\n" + out + err);
    }
  }

  static synchronized Run run(String... args) {
    LocalSpark.session(); // the commands borrow it (and leave it running)
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int status = SparkMain.run(args);
      return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  static List<String> names(Path dir) throws IOException {
    try (var listing = Files.list(dir)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void scoreWritesEveryRowAndTheAccuracyOfWhatItWrote(@TempDir Path dir) throws IOException {
    LeNet5Model lenet = LocalSpark.lenet();
    Path checkpoint = dir.resolve("lenet5.safetensors");
    Checkpoint.save(lenet, checkpoint);
    Path out = dir.resolve("scored.parquet");
    Run run =
        run("score", "--checkpoint", checkpoint.toString(), "--data", DATA, "--out", out.toString(),
            "--limit", "1000", "--batch", "100");
    assertEquals(0, run.status(), run.err());
    float[] expected = new float[1000 * 10];
    lenet.predictBatch(LocalSpark.mnist().test().first(1000).images(), expected, 1);
    long correct = 0;
    for (int i = 0; i < 1000; i++) {
      correct += Trainer.predictedClass(expected, i * 10, 10) == LocalSpark.mnist().test().labels()[i] ? 1 : 0;
    }
    assertTrue(
        run.result().startsWith(
            String.format(Locale.ROOT, "RESULT task=spark-score model=LeNet5 rows=1000 accuracy=%.4f ", correct / 1000.0)),
        run.result());
    assertEquals(List.of("lenet5.safetensors", "scored.parquet"), names(dir), "nothing left aside");

    Run again =
        run("score", "--checkpoint", checkpoint.toString(), "--data", DATA, "--out", out.toString());
    assertEquals(2, again.status());
    assertTrue(again.err().contains("exists; pass --overwrite to replace it"), again.err());
  }

  @Test
  void aCheckpointOfAnotherNetworkIsAFailureBeforeAnyOutput(@TempDir Path dir) throws IOException {
    Path checkpoint = dir.resolve("resnet.safetensors");
    Checkpoint.save(dev.kiln.samples.networks.MnistResNetModel.create(1), checkpoint);
    Run run =
        run("score", "--checkpoint", checkpoint.toString(), "--data", DATA, "--out",
            dir.resolve("out.parquet").toString());
    assertEquals(1, run.status());
    assertTrue(run.err().contains("does not match network LeNet5"), run.err());
    assertEquals(List.of("resnet.safetensors"), names(dir));
  }

  @Test
  void aJobThatFailsWhileWritingLeavesNothingAtOut(@TempDir Path dir) throws IOException {
    Dataset<Row> images = ImageFrames.of(LocalSpark.session(), LocalSpark.mnist().test().first(1000), 2);
    Dataset<Row> dying = images.mapPartitions(new InjectedFailure(false), Encoders.row(images.schema()));
    Path out = dir.resolve("out.parquet");
    assertThrows(
        SparkException.class,
        () -> HadoopFiles.writeParquet(dying, out.toString(), LocalSpark.session().sparkContext().hadoopConfiguration()));
    assertFalse(Files.exists(out));
    assertEquals(List.of(), names(dir), "no partial output beside it either");
  }

  @Test
  void aKilledScoringJobLeavesNothingAtOut(@TempDir Path dir) throws Exception {
    Path checkpoint = dir.resolve("lenet5.safetensors");
    Checkpoint.save(LeNet5Model.create(1), checkpoint);
    Path out = dir.resolve("killed.parquet");
    // ./kiln spark score in a JVM of its own (this one's class path and Spark options), killed
    // with SIGKILL once Spark has begun writing: no cleanup runs, so only the rename can protect.
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (option.startsWith("--add-opens") || option.startsWith("-XX:+IgnoreUnrecognized")
          || option.startsWith("-Djdk.reflect") || option.startsWith("-Dio.netty")) {
        command.add(option);
      }
    }
    command.addAll(
        List.of(
            "-Dspark.master=local[1]", "-cp", System.getProperty("java.class.path"),
            SparkMain.class.getName(), "score", "--checkpoint", checkpoint.toString(), "--data", DATA,
            "--out", out.toString(), "--batch", "8"));
    Path log = dir.resolve("score.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + 180_000_000_000L;
      boolean writing = false;
      while (!writing && process.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
        writing = names(dir).stream().anyMatch(n -> n.startsWith(".killed.parquet.tmp-"));
      }
      assertTrue(writing && process.isAlive(), "the job was not caught writing:\n" + Files.readString(log));
      Thread.sleep(300);
      assertTrue(process.isAlive(), "the job finished before it could be killed");
    } finally {
      process.destroyForcibly().waitFor();
    }
    assertFalse(Files.exists(out), "a killed job left " + out);
  }

  @Test
  void trainCheckpointsEachEpochAndResumes(@TempDir Path dir) {
    String[] common = {
      "train", "--data", DATA, "--limit", "1000", "--test-limit", "500", "--batch", "32",
      "--checkpoint-dir", dir.resolve("epochs").toString(), "--out", dir.resolve("net.safetensors").toString()
    };
    Run first = run(concat(common, "--epochs", "1"));
    assertEquals(0, first.status(), first.err());
    assertTrue(first.result().contains(" epochs=1 resumed_after=0 train_images=1000 test_images=500 "), first.result());
    assertTrue(Files.isRegularFile(dir.resolve("epochs/epoch-0001/network.safetensors")));
    Run second = run(concat(common, "--epochs", "2"));
    assertEquals(0, second.status(), second.err());
    assertTrue(second.out().contains("Resumed after epoch 1"), second.out());
    assertTrue(second.result().contains(" epochs=2 resumed_after=1 "), second.result());
    assertTrue(Files.isRegularFile(dir.resolve("epochs/epoch-0002/network.safetensors")));
    assertTrue(Files.isRegularFile(dir.resolve("net.safetensors")));
  }

  static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
