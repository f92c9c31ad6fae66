package dev.kiln.samples.pictures;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output layer as a bar per class, decoded from the written PNG. */
class OutputBarsTest {
  static final List<String> DIGITS = IntStream.range(0, 10).mapToObj(String::valueOf).toList();

  @TempDir Path dir;

  @Test
  void aBarPerClassInClassOrderThePredictedOneInItsOwnColour() throws Exception {
    float[] probabilities = {0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.07f, 0.08f, 0.45f, 0.1f, 0.1f};
    Path file =
        LayerPictures.write(
            OutputBars.draw(probabilities, DIGITS, 7, 7, List.of("output: Dense 10 + Softmax", "LeNet5 on #0")),
            dir.resolve("output.png"));
    BufferedImage image = Png.read(file);
    assertEquals(OutputBars.WIDTH, image.getWidth());
    assertEquals(OutputBars.HEIGHT, image.getHeight());
    // Just above the axis every bar is there: ten runs of bar colour, the eighth (class 7) orange.
    List<Integer> best = List.of();
    for (int y = 0; y < image.getHeight(); y++) {
      List<Integer> runs = runs(image, y);
      if (runs.size() > best.size()) {
        best = runs;
      }
    }
    assertEquals(10, best.size(), "bars found on one row: " + best);
    for (int c = 0; c < 10; c++) {
      assertEquals(c == 7 ? OutputBars.PREDICTED.getRGB() : OutputBars.BAR.getRGB(), best.get(c), "bar " + c);
    }
  }

  @Test
  void theBarsAreTheClassesValuesLabelledWithTheirNames() {
    float[] values = {0.1f, 0.7f, 0.2f};
    var data = OutputBars.dataset(values, List.of("cat", "dog", "bird"));
    assertEquals(List.of("cat", "dog", "bird"), data.getColumnKeys());
    for (int c = 0; c < values.length; c++) {
      assertEquals(values[c], data.getValue(0, c).floatValue());
    }
  }

  @Test
  void valuesThatAreNotProbabilitiesStillDraw() throws Exception {
    float[] logits = {-3f, 2f, 0.5f};
    BufferedImage image = OutputBars.draw(logits, List.of("a", "b", "c"), 0, 1, List.of("logits"));
    assertEquals(OutputBars.WIDTH, image.getWidth());
    assertEquals(OutputBars.HEIGHT, image.getHeight());
  }

  /** The colours of the runs of bar-coloured pixels along row {@code y}, left to right. */
  static List<Integer> runs(BufferedImage image, int y) {
    int bar = OutputBars.BAR.getRGB();
    int predicted = OutputBars.PREDICTED.getRGB();
    List<Integer> runs = new ArrayList<>();
    int previous = 0;
    for (int x = 0; x < image.getWidth(); x++) {
      int rgb = image.getRGB(x, y);
      boolean isBar = rgb == bar || rgb == predicted;
      if (isBar && rgb != previous) {
        runs.add(rgb);
      }
      previous = isBar ? rgb : 0;
    }
    return runs;
  }
}
