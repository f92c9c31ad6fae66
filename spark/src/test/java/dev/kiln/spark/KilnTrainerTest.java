package dev.kiln.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MnistResNetModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KilnTrainer on real Spark (local[2,2], two partitions). */
class KilnTrainerTest {
  static final String LENET = LeNet5Model.class.getName();
  static SparkSession spark;
  static LabeledImages test;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.session();
    test = LocalSpark.mnist().test().first(2000);
  }

  static double accuracy(Model model) {
    float[] out = new float[test.size() * 10];
    model.predictBatch(test.images(), out, 2);
    long correct = 0;
    for (int i = 0; i < test.size(); i++) {
      correct += Trainer.predictedClass(out, i * 10, 10) == test.labels()[i] ? 1 : 0;
    }
    return (double) correct / test.size();
  }

  @Test
  void trainingOnTwoPartitionsLearnsAsOneJvmDoes() throws IOException {
    LabeledImages train = LocalSpark.mnist().train().first(6000);
    double untrained = accuracy(LeNet5Model.create(1));
    KilnTrainer.Result result =
        KilnTrainer.of(LENET).optimizer(steps -> Adam.lr(2e-3)).batchSize(32).batchesPerRound(10)
            .epochs(1).seed(1).fit(ImageFrames.of(spark, train, 2));
    double spark = accuracy(result.network().model());

    LeNet5Model alone = LeNet5Model.create(1);
    Trainer.of(alone).optimizer(Adam.lr(2e-3)).batchSize(32).epochs(1).threads(2).seed(1).fit(train, null);
    double oneJvm = accuracy(alone);
    KilnTrainer.Epoch epoch = result.epochs().get(0);
    System.out.printf(
        "one epoch on 6,000 images: untrained %.4f, Spark (2 partitions) %.4f at %.0f images/s,"
            + " one JVM %.4f%n", untrained, spark, epoch.imagesPerSecond(), oneJvm);
    assertEquals(6000, epoch.images());
    assertTrue(untrained < 0.2, "untrained " + untrained);
    // Averaging every 10 batches costs a little against one model's every-batch steps, no more.
    assertTrue(spark > 0.85 && spark > oneJvm - 0.04, "Spark " + spark + ", one JVM " + oneJvm);
    assertTrue(epoch.trainAccuracy() > 0.6 && epoch.trainAccuracy() < 1, "train " + epoch.trainAccuracy());
  }

  @Test
  void aRestartedJobContinuesFromItsCheckpointBitForBit(@TempDir Path dir) throws IOException {
    Dataset<Row> data = ImageFrames.of(spark, LocalSpark.mnist().train().first(1000), 2);
    KilnTrainer straight =
        KilnTrainer.of(LENET).batchSize(32).batchesPerRound(5).epochs(2)
            .checkpoint(dir.resolve("straight").toString());
    KilnTrainer.Result whole = straight.fit(data);

    String resumed = dir.resolve("resumed").toString();
    KilnTrainer.of(LENET).batchSize(32).batchesPerRound(5).epochs(1).checkpoint(resumed).fit(data);
    assertTrue(Files.isDirectory(dir.resolve("resumed/epoch-0001")));
    KilnTrainer.Result rest =
        KilnTrainer.of(LENET).batchSize(32).batchesPerRound(5).epochs(2).checkpoint(resumed).fit(data);

    assertEquals(1, rest.resumedAfter());
    assertEquals(List.of(2), rest.epochs().stream().map(KilnTrainer.Epoch::epoch).toList());
    assertArrayEquals(whole.network().parameters(), rest.network().parameters(), 0f);
    // Only the latest epoch is kept, complete, and nothing half-written beside it.
    try (var listing = Files.list(dir.resolve("resumed"))) {
      assertEquals(List.of("epoch-0002"), listing.map(p -> p.getFileName().toString()).toList());
    }
    LeNet5Model saved = LeNet5Model.create(0);
    Checkpoint.load(saved, dir.resolve("resumed/epoch-0002/network.safetensors"));
    assertArrayEquals(whole.network().parameters(), saved.parameters(), 0f);
    assertEquals("2", Checkpoint.metadata(dir.resolve("resumed/epoch-0002/network.safetensors")).get("epoch"));
  }

  @Test
  void aLabelOutsideTheClassesIsAnErrorNamingItsRow() {
    LabeledImages some = LocalSpark.mnist().train().first(10);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(
          RowFactory.create(
              (long) i, i == 4 ? 10 : some.labels()[i],
              Arrays.copyOfRange(some.images(), i * 784, (i + 1) * 784)));
    }
    Dataset<Row> data = spark.createDataFrame(rows, ImageFrames.SCHEMA).coalesce(1);
    SparkException e =
        assertThrows(SparkException.class, () -> KilnTrainer.of(LENET).fit(data));
    assertTrue(
        e.getMessage().contains("partition 0, row 4 (counted from 0): label 10 is not a class of LeNet5 (0 to 9)"),
        e.getMessage());
  }

  @Test
  void aCheckpointOfAnotherNetworkFailsBeforeAnyTaskRuns(@TempDir Path dir) throws IOException {
    Path epoch = Files.createDirectories(dir.resolve("epoch-0001"));
    Checkpoint.save(MnistResNetModel.create(1), epoch.resolve("network.safetensors"));
    Dataset<Row> data = ImageFrames.of(spark, LocalSpark.mnist().train().first(100), 2);
    int jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    IOException e =
        assertThrows(
            IOException.class,
            () -> KilnTrainer.of(LENET).checkpoint(dir.toString()).fit(data));
    assertTrue(e.getMessage().contains("does not match network LeNet5"), e.getMessage());
    assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
  }
}
