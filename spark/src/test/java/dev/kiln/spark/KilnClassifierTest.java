package dev.kiln.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.LabeledImages;
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
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KilnClassifier on real Spark (local[2,2]): the same bits as predictBatch, faults, bad rows. */
class KilnClassifierTest {
  static SparkSession spark;
  static LeNet5Model lenet;
  static LabeledImages test;
  /** predictBatch's outputs for the whole test set in this JVM: what Spark must reproduce. */
  static float[] expected;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.session();
    lenet = LocalSpark.lenet();
    test = LocalSpark.mnist().test();
    expected = new float[test.size() * 10];
    lenet.predictBatch(test.images(), expected, 2);
  }

  static KilnClassifier classifier() {
    return KilnClassifier.of(KilnNetwork.of(lenet));
  }

  /** Checks every scored row against {@link #expected}, bit for bit; returns the accuracy. */
  static double checkAgainstOneJvm(List<Row> rows, int expectedRows) {
    assertEquals(expectedRows, rows.size());
    boolean[] seen = new boolean[test.size()];
    long correct = 0;
    for (Row row : rows) {
      int id = (int) row.getLong(0);
      assertTrue(!seen[id], "row " + id + " scored twice");
      seen[id] = true;
      double[] probability = ((Vector) row.get(1)).toArray();
      float[] asFloats = new float[10];
      for (int k = 0; k < 10; k++) {
        asFloats[k] = (float) probability[k];
        assertEquals(asFloats[k], probability[k], 0.0, "a float's value exactly");
      }
      assertArrayEquals(
          Arrays.copyOfRange(expected, id * 10, id * 10 + 10), asFloats, 0f, "image " + id);
      double prediction = row.getDouble(2);
      assertEquals(Trainer.predictedClass(expected, id * 10, 10), (int) prediction);
      correct += (int) prediction == test.labels()[id] ? 1 : 0;
    }
    return (double) correct / rows.size();
  }

  static double oneJvmAccuracy(int count) {
    long correct = 0;
    for (int i = 0; i < count; i++) {
      correct += Trainer.predictedClass(expected, i * 10, 10) == test.labels()[i] ? 1 : 0;
    }
    return (double) correct / count;
  }

  @Test
  void scoresTheTenThousandTestImagesBitForBitAsPredictBatch() {
    Dataset<Row> images = ImageFrames.of(spark, test, 2);
    List<Row> rows =
        classifier().transform(images).select("id", "probability", "prediction").collectAsList();
    double accuracy = checkAgainstOneJvm(rows, 10_000);
    assertEquals(oneJvmAccuracy(10_000), accuracy, 0.0);
    assertTrue(accuracy > 0.9, "a trained LeNet-5 scores " + accuracy);
  }

  @Test
  void scoresBinaryPixelsAsTheirFloats() {
    int n = 500;
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[784];
      for (int k = 0; k < 784; k++) {
        pixels[k] = (byte) Math.round(test.images()[i * 784 + k] * 255);
      }
      rows.add(RowFactory.create((long) i, pixels));
    }
    StructType schema =
        new StructType().add("id", DataTypes.LongType).add("pixels", DataTypes.BinaryType);
    List<Row> scored =
        classifier().setInputCol("pixels")
            .transform(spark.createDataFrame(rows, schema).repartition(2))
            .select("id", "probability", "prediction").collectAsList();
    checkAgainstOneJvm(scored, n);
  }

  @Test
  void aTaskThatFailsOnceIsRetriedAndTheOutputIsComplete(@TempDir Path dir) {
    int n = 2000;
    Dataset<Row> images = ImageFrames.of(spark, test.first(n), 2);
    Dataset<Row> scored = classifier().transform(images).select("id", "probability", "prediction");
    String out = dir.resolve("scored.parquet").toString();
    InjectedFailure.FAILURES.set(0);
    scored.mapPartitions(new InjectedFailure(true), Encoders.row(scored.schema()))
        .write().parquet(out);
    assertEquals(1, InjectedFailure.FAILURES.get(), "the injected failure happened");
    List<Row> rows = spark.read().parquet(out).collectAsList();
    checkAgainstOneJvm(rows, n);
  }

  static Dataset<Row> withBadRow(float[] bad, int position) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      float[] image = Arrays.copyOfRange(test.images(), i * 784, (i + 1) * 784);
      rows.add(RowFactory.create((long) i, i == position ? bad : image));
    }
    StructType schema =
        new StructType().add("id", DataTypes.LongType)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false));
    // One partition, so the bad row's position is its position in the data.
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  @Test
  void aRowOfTheWrongLengthIsAnErrorNamingItsPositionAndTheShape() {
    Dataset<Row> data = withBadRow(new float[783], 7);
    SparkException e =
        assertThrows(SparkException.class, () -> classifier().transform(data).collectAsList());
    String message = e.getMessage();
    assertTrue(message.contains("partition 0, row 7 (counted from 0): 'features' holds 783 floats;"
        + " LeNet5 takes 784 (28x28x1, NHWC)"), message);
  }

  @Test
  void aRowWithNaNIsAnErrorNamingItsPosition() {
    float[] nan = Arrays.copyOf(test.images(), 784);
    nan[300] = Float.NaN;
    SparkException e =
        assertThrows(
            SparkException.class, () -> classifier().transform(withBadRow(nan, 12)).collectAsList());
    assertTrue(
        e.getMessage().contains("partition 0, row 12 (counted from 0): 'features' has NaN at index 300"),
        e.getMessage());
  }

  @Test
  void rejectKeepsBadRowsApartAndScoresTheOthers() {
    float[] nan = Arrays.copyOf(test.images(), 784);
    nan[0] = Float.NaN;
    List<Row> rows =
        classifier().setHandleInvalid("reject").setBatchSize(8).transform(withBadRow(nan, 3))
            .select("id", "probability", "prediction", "rejection").orderBy("id").collectAsList();
    assertEquals(20, rows.size());
    for (Row row : rows) {
      if (row.getLong(0) == 3) {
        assertNull(row.get(1));
        assertNull(row.get(2));
        assertTrue(row.getString(3).contains("NaN at index 0"), row.getString(3));
      } else {
        assertNull(row.get(3));
      }
    }
    List<Row> good = new ArrayList<>(rows);
    good.remove(3);
    checkAgainstOneJvm(good.stream().map(r -> RowFactory.create(r.get(0), r.get(1), r.get(2))).toList(), 19);
  }

  @Test
  void aCheckpointOfAnotherNetworkFailsBeforeAnyTaskRuns(@TempDir Path dir) throws IOException {
    Path resnet = dir.resolve("resnet.safetensors");
    Checkpoint.save(MnistResNetModel.create(1), resnet);
    int jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    IOException e =
        assertThrows(
            IOException.class,
            () -> KilnClassifier.load(LeNet5Model.class.getName(), resnet.toString(), spark));
    assertTrue(e.getMessage().contains("LeNet5"), e.getMessage());
    assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
  }

  @Test
  void savesAndLoadsInAPipeline(@TempDir Path dir) throws IOException {
    int n = 1000;
    Dataset<Row> images = ImageFrames.of(spark, test.first(n), 2);
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new SQLTransformer().setStatement("SELECT id, features AS pixels FROM __THIS__"),
                  classifier().setInputCol("pixels")
                });
    PipelineModel fitted = pipeline.fit(images);
    String path = dir.resolve("pipeline").toString();
    fitted.write().save(path);
    assertTrue(Files.isRegularFile(dir.resolve("pipeline/stages/1_" + fitted.stages()[1].uid() + "/network.safetensors")));
    PipelineModel loaded = PipelineModel.load(path);
    KilnClassifier stage = (KilnClassifier) loaded.stages()[1];
    assertEquals("pixels", stage.getOrDefault(stage.inputCol()));
    checkAgainstOneJvm(
        loaded.transform(images).select("id", "probability", "prediction").collectAsList(), n);
  }
}
