package dev.kiln.samples.commands;

import static dev.kiln.samples.commands.KilnCommandLine.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.samples.commands.KilnCommandLine.Run;
import dev.kiln.samples.networks.Cnn2Model;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.pictures.LayerPictures;
import dev.kiln.samples.pictures.Png;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./kiln show} on an untrained LeNet-5 checkpoint and a synthetic MNIST: the pictures it
 * writes, decoded, and its errors.
 */
class ShowCommandTest {
  @TempDir Path dir;
  Path data;
  Path checkpoint;
  Path plots;

  @BeforeEach
  void setUp() throws Exception {
    data = SyntheticMnist.write(dir.resolve("mnist"), 10, 12);
    checkpoint = dir.resolve("lenet5.safetensors");
    Checkpoint.save(LeNet5Model.create(1), checkpoint);
    plots = dir.resolve("plots");
  }

  Run show(String... extra) {
    List<String> args =
        new ArrayList<>(List.of("show", "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--plots", plots.toString()));
    args.addAll(List.of(extra));
    return kiln(args.toArray(String[]::new));
  }

  @Test
  void writesTheInputActivationMapsAndFiltersOfOneLayer() throws Exception {
    Run run = show("--layer", "c1", "--index", "7");
    assertEquals(0, run.exit(), run.out() + run.err());
    Path input = plots.resolve("lenet5-test7-input.png");
    Path maps = plots.resolve("lenet5-test7-c1.png");
    Path filters = plots.resolve("lenet5-c1-filters.png");
    List<String> results = run.results();
    assertEquals(2, results.size(), run.out());
    assertTrue(results.get(0).startsWith("RESULT task=show network=LeNet5 checkpoint=" + checkpoint + " index=7 label=7 predicted="), results.get(0));
    assertTrue(results.get(0).contains(" input=" + input + " layers=1 scale=tile"), results.get(0));
    assertEquals(
        "RESULT task=show layer=c1 output=28x28x6 tiles=6 activations=" + maps + " filter_tiles=6 filters=" + filters,
        results.get(1));
    assertTrue(run.out().strip().endsWith(results.get(1)), "RESULT lines come last");
    assertTrue(run.out().contains("Wrote " + maps), run.out());

    Png.assertGrid(input, LayerPictures.Layout.of(1, 1, 28, 28, 3));
    Png.assertNotBlank(input, 1);
    Png.assertGrid(maps, LayerPictures.Layout.of(6, 6, 28, 28, 3));
    Png.assertNotBlank(maps, 4);
    Png.assertGrid(filters, LayerPictures.Layout.of(6, 6, 5, 5, 4));
    Png.assertNotBlank(filters, 6);
    try (var files = Files.list(plots)) {
      assertEquals(3, files.count(), "nothing else is written");
    }
  }

  @Test
  void everyLayerByDefault() throws Exception {
    Run run = show("--scale", "common");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals(1 + 7, run.results().size(), run.out());
    assertTrue(run.results().get(0).contains(" index=0 label=0 ") && run.results().get(0).endsWith("layers=7 scale=common"), run.out());
    Png.assertGrid(plots.resolve("lenet5-test0-s2.png"), LayerPictures.Layout.of(6, 6, 14, 14, 3));
    Png.assertGrid(plots.resolve("lenet5-test0-c3.png"), LayerPictures.Layout.of(16, 4, 10, 10, 3));
    Png.assertGrid(plots.resolve("lenet5-c3-filters.png"), LayerPictures.Layout.of(96, 6, 5, 5, 4));
    Png.assertGrid(plots.resolve("lenet5-test0-s4.png"), LayerPictures.Layout.of(16, 4, 5, 5, 3));
    Png.assertGrid(plots.resolve("lenet5-test0-c5.png"), LayerPictures.Layout.of(1, 1, 11, 11, 3));
    Png.assertGrid(plots.resolve("lenet5-test0-f6.png"), LayerPictures.Layout.of(1, 1, 9, 10, 3));
    Png.assertGrid(plots.resolve("lenet5-test0-output.png"), LayerPictures.Layout.of(1, 1, 3, 4, 3));
    Png.assertNotBlank(plots.resolve("lenet5-test0-output.png"), 1);
    assertTrue(run.results().get(7).startsWith("RESULT task=show layer=output output=[10] tiles=1 activations="));
    assertFalse(run.results().get(7).contains("filters="), "dense layers have no kernel picture");
  }

  @Test
  void unknownLayerIsRejected() {
    Run run = show("--layer", "c1,c9");
    assertEquals(2, run.exit());
    assertEquals(
        "kiln show: no layer 'c9' in LeNet5; its layers are c1, s2, c3, s4, c5, f6, output",
        run.err().strip());
    assertFalse(Files.exists(plots), "nothing written");
  }

  @Test
  void indexOutOfRangeIsRejected() {
    Run run = show("--index", "12");
    assertEquals(2, run.exit());
    assertEquals("kiln show: --index 12 is outside the MNIST test set (0 to 11)", run.err().strip());
    run = show("--index", "-1");
    assertEquals(2, run.exit());
    assertTrue(run.err().contains("--index -1 is negative"), run.err());
    assertFalse(Files.exists(plots), "nothing written");
  }

  @Test
  void missingOrWrongCheckpointIsRejected() throws Exception {
    Path missing = dir.resolve("nope.safetensors");
    Run run = kiln("show", "--checkpoint", missing.toString(), "--data", data.toString(), "--plots", plots.toString());
    assertEquals(1, run.exit());
    assertEquals(
        "kiln show: checkpoint " + missing + " not found; train one with ./kiln mnist (it writes"
            + " lenet5.safetensors) or pass --checkpoint FILE",
        run.err().strip());
    Path other = dir.resolve("cnn2.safetensors");
    Checkpoint.save(Cnn2Model.create(1), other);
    run = kiln("show", "--checkpoint", other.toString(), "--data", data.toString(), "--plots", plots.toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().startsWith("kiln show: cannot load the checkpoint: " + other + ": does not match network LeNet5"), run.err());
    assertFalse(Files.exists(plots), "nothing written");
  }
}
