package dev.kiln.samples.pictures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.train.EpochResult;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Learning curves and confusion matrices, rendered with JFreeChart and decoded from the PNG. */
class TrainingChartsTest {
  @TempDir Path dir;

  static List<EpochResult> history(int epochs) {
    List<EpochResult> h = new ArrayList<>();
    for (int e = 1; e <= epochs; e++) {
      h.add(new EpochResult(e, 1.0 / e, 0.9 + 0.01 * e, 1.1 / e, 0.89 + 0.01 * e, 10, 6000, 1e-3));
    }
    return h;
  }

  @Test
  void confusionCountsArgmaxAgainstLabels() {
    float[] p = {
      0.9f, 0.1f, 0f, // true 0, predicted 0
      0.2f, 0.7f, 0.1f, // true 1, predicted 1
      0.6f, 0.3f, 0.1f, // true 2, predicted 0
      0.5f, 0.5f, 0f // true 1, a tie: the first class
    };
    ConfusionMatrix c = ConfusionMatrix.of(p, new int[] {0, 1, 2, 1}, 3);
    assertArrayEquals(new int[] {1, 0, 0}, c.counts()[0]);
    assertArrayEquals(new int[] {1, 1, 0}, c.counts()[1]);
    assertArrayEquals(new int[] {1, 0, 0}, c.counts()[2]);
    assertEquals(4, c.total());
    assertEquals(0.5, c.accuracy());
    assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new float[5], new int[2], 3));
  }

  @Test
  void plotsThatCannotBeWrittenCostOnlyThePlots() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("plots"), "a file where the directory goes");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    TrainingCharts.Written written =
        TrainingCharts.writeTrainingPlotsOrWarn(
            notADirectory, "mnist", "LeNet-5", List.of(new TrainingCharts.Run("", history(2))),
            new ConfusionMatrix(new int[10][10]), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(TrainingCharts.Written.NONE, written);
    assertEquals("none", written.curvesField());
    assertEquals("none", written.confusionField());
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("kiln: the plots were not written ("), err.toString(StandardCharsets.UTF_8));
    assertEquals("a file where the directory goes", Files.readString(notADirectory));
  }

  @Test
  void trainingPlotsArePngsOfTheChartSizesAndNotBlank() throws Exception {
    int[][] counts = new int[10][10];
    for (int k = 0; k < 10; k++) {
      counts[k][k] = 90 + k;
      counts[k][(k + 1) % 10] = 3;
    }
    TrainingCharts.Written written =
        TrainingCharts.writeTrainingPlots(
            dir.resolve("plots"), "mnist", "LeNet-5", List.of(new TrainingCharts.Run("", history(5))),
            new ConfusionMatrix(counts));
    assertEquals(dir.resolve("plots/mnist-curves.png"), written.curves());
    assertEquals(dir.resolve("plots/mnist-confusion.png"), written.confusion());

    BufferedImage curves = Png.read(written.curves());
    assertEquals(TrainingCharts.CURVES_WIDTH, curves.getWidth());
    assertEquals(TrainingCharts.CURVES_HEIGHT, curves.getHeight());
    Rectangle whole = new Rectangle(0, 0, curves.getWidth(), curves.getHeight());
    assertTrue(Png.distinctColours(curves, whole) > 20, "curves look blank");
    assertTrue(count(curves, 0xff1f77b4) > 100, "the train series is drawn");
    assertTrue(count(curves, 0xffff7f0e) > 100, "the test series is drawn");

    BufferedImage matrix = Png.read(written.confusion());
    assertEquals(TrainingCharts.CONFUSION_WIDTH, matrix.getWidth());
    assertEquals(TrainingCharts.CONFUSION_HEIGHT, matrix.getHeight());
    assertTrue(Png.distinctColours(matrix, new Rectangle(0, 0, matrix.getWidth(), matrix.getHeight())) > 20);
    // The diagonal's dark shade covers a large area (ten cells of about 60x60 pixels).
    assertTrue(
        count(matrix, rgb -> ((rgb >> 16) & 0xff) < 60 && (rgb & 0xff) > 90) > 10_000, "no dark diagonal");
  }

  @Test
  void ensembleCurvesHaveASeriesPairPerMember() throws Exception {
    BufferedImage image =
        TrainingCharts.learningCurves(
            "ensemble", List.of(new TrainingCharts.Run("member 1", history(3)), new TrainingCharts.Run("member 2", history(3))));
    assertEquals(TrainingCharts.CURVES_WIDTH, image.getWidth());
  }

  static int count(BufferedImage image, int argb) {
    return count(image, rgb -> rgb == argb);
  }

  static int count(BufferedImage image, java.util.function.IntPredicate colour) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        n += colour.test(image.getRGB(x, y)) ? 1 : 0;
      }
    }
    return n;
  }
}
