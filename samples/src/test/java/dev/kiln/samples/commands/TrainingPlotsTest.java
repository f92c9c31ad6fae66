package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.samples.pictures.LayerPictures;
import dev.kiln.samples.pictures.Png;
import dev.kiln.samples.pictures.TrainingCharts;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./kiln mnist} and {@code ./kiln ladder} on a tiny synthetic MNIST write their charts. */
class TrainingPlotsTest {
  @TempDir Path dir;

  static void assertChart(Path file, int width, int height) throws Exception {
    BufferedImage image = Png.read(file);
    assertEquals(width, image.getWidth(), file.toString());
    assertEquals(height, image.getHeight(), file.toString());
  }

  @Test
  void mnistWritesCurvesAndConfusionMatrix() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 40, 20);
    Path plots = dir.resolve("plots");
    Path out = dir.resolve("tiny.safetensors");
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "mnist", "--data", data.toString(), "--epochs", "2", "--batch", "8", "--threads", "1",
            "--out", out.toString(), "--plots", plots.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    Path curves = plots.resolve("mnist-curves.png");
    Path confusion = plots.resolve("mnist-confusion.png");
    List<String> results = run.results();
    assertEquals(1, results.size(), run.out());
    assertTrue(results.get(0).endsWith(" checkpoint=" + out + " curves=" + curves + " confusion=" + confusion), results.get(0));
    assertChart(curves, TrainingCharts.CURVES_WIDTH, TrainingCharts.CURVES_HEIGHT);
    assertChart(confusion, TrainingCharts.CONFUSION_WIDTH, TrainingCharts.CONFUSION_HEIGHT);

    // ./kiln show reads what ./kiln mnist wrote.
    KilnCommandLine.Run show =
        KilnCommandLine.kiln(
            "show", "--checkpoint", out.toString(), "--data", data.toString(), "--plots",
            plots.toString(), "--layer", "c3", "--index", "3");
    assertEquals(0, show.exit(), show.out() + show.err());
    Png.assertGrid(plots.resolve("lenet5-test3-c3.png"), LayerPictures.Layout.of(16, 4, 10, 10, 3));
  }

  /** A finished run keeps its RESULT line when the plots cannot be written (e.g. no fonts). */
  @Test
  void mnistReportsItsResultWhenThePlotsFail() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 40, 20);
    // The plots directory passes the check before training, but the charts cannot be written:
    // their file names are taken by directories.
    Path plots = Files.createDirectories(dir.resolve("plots"));
    Files.createDirectory(plots.resolve("mnist-curves.png"));
    Files.createDirectory(plots.resolve("mnist-confusion.png"));
    Path out = dir.resolve("tiny.safetensors");
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "mnist", "--data", data.toString(), "--epochs", "1", "--batch", "8", "--threads", "1",
            "--out", out.toString(), "--plots", plots.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains(" images, testing on 20: 1 epoch, batch 8,"), "the banner: " + run.out());
    List<String> results = run.results();
    assertEquals(1, results.size(), run.out());
    assertTrue(results.get(0).endsWith(" checkpoint=" + out + " curves=none confusion=none"), results.get(0));
    assertTrue(run.err().contains("kiln: the plots were not written"), run.err());
    assertTrue(Files.size(out) > 0);
    // What made it is in its metadata, and show says so.
    java.util.Map<String, String> about = dev.kiln.runtime.Checkpoint.metadata(out);
    assertEquals("./kiln mnist --model lenet5", about.get("command"), about.toString());
    assertEquals("1", about.get("epochs"));
    assertEquals("40", about.get("train_images"));
    assertTrue(ShowCommand.describe(out, about).contains("LeNet5 from ./kiln mnist --model lenet5, 1 epoch(s) on 40 images, test accuracy "),
        ShowCommand.describe(out, about));
  }

  @Test
  void ladderWritesChartsPerRung() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 40, 20);
    Path plots = dir.resolve("plots");
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "ladder", "--data", data.toString(), "--rungs", "1,7", "--ensemble", "2", "--epochs", "2",
            "--batch", "10", "--threads", "1", "--plots", plots.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    List<String> results = run.results();
    assertEquals(2, results.size(), run.out());
    assertTrue(
        results.get(0).endsWith(
            " curves=" + plots.resolve("ladder-1-softmax-curves.png") + " confusion="
                + plots.resolve("ladder-1-softmax-confusion.png")),
        results.get(0));
    assertChart(plots.resolve("ladder-1-softmax-curves.png"), TrainingCharts.CURVES_WIDTH, TrainingCharts.CURVES_HEIGHT);
    assertChart(plots.resolve("ladder-7-ensemble-curves.png"), TrainingCharts.CURVES_WIDTH, TrainingCharts.CURVES_HEIGHT);
    assertChart(plots.resolve("ladder-7-ensemble-confusion.png"), TrainingCharts.CONFUSION_WIDTH, TrainingCharts.CONFUSION_HEIGHT);
  }
}
