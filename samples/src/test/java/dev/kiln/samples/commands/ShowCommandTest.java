package dev.kiln.samples.commands;

import static dev.kiln.samples.commands.KilnCommandLine.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.samples.commands.KilnCommandLine.Run;
import dev.kiln.samples.networks.Cnn2Model;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MnistResNetModel;
import dev.kiln.samples.networks.XorShallowModel;
import dev.kiln.samples.pictures.LayerPictures;
import dev.kiln.samples.pictures.OutputBars;
import dev.kiln.samples.pictures.Png;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./kiln show} on untrained checkpoints (LeNet-5, and every other network it draws) and a
 * synthetic MNIST: the pictures it writes, decoded, and its errors.
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

  /** {@code ./kiln show} on the test's data and plots, and its LeNet-5 checkpoint unless {@code extra} names one. */
  Run show(String... extra) {
    List<String> args = new ArrayList<>(List.of("show", "--data", data.toString(), "--plots", plots.toString()));
    if (!List.of(extra).contains("--checkpoint")) {
      args.addAll(List.of("--checkpoint", checkpoint.toString()));
    }
    args.addAll(List.of(extra));
    return kiln(args.toArray(String[]::new));
  }

  /** A safetensors file's bytes with its {@code __metadata__} blanked out (as other tools write it). */
  static byte[] withoutMetadata(byte[] file) {
    long length = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(file, 8, (int) length, StandardCharsets.UTF_8);
    String blanked =
        Pattern.compile("\"__metadata__\":\\{[^}]*\\},").matcher(header).replaceFirst(m -> " ".repeat(m.group().length()));
    assertEquals(header.length(), blanked.length());
    assertFalse(blanked.contains("__metadata__"), blanked);
    byte[] copy = file.clone();
    byte[] bytes = blanked.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, copy, 8, bytes.length);
    return copy;
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
    BufferedImage output = Png.read(plots.resolve("lenet5-test0-output.png"));
    assertEquals(OutputBars.WIDTH, output.getWidth(), "the output is a bar chart, not a grid");
    assertEquals(OutputBars.HEIGHT, output.getHeight());
    assertEquals(
        "RESULT task=show layer=output output=[10] bars=10 activations=" + plots.resolve("lenet5-test0-output.png"),
        run.results().get(7));
    assertTrue(run.out().contains("Wrote " + plots.resolve("lenet5-test0-output.png") + " (output: a bar per class)"), run.out());
    assertFalse(run.results().get(6).contains("filters="), "dense layers have no kernel picture");
  }

  @Test
  void drawsAResNetCheckpointAsTheNetworkItRecords() throws Exception {
    MnistResNetModel net = MnistResNetModel.create(1);
    Path resnet = dir.resolve("resnet.safetensors");
    Checkpoint.save(net, resnet, Map.of("command", "./kiln mnist --model resnet"));
    Run run = kiln("show", "--checkpoint", resnet.toString(), "--data", data.toString(), "--plots", plots.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    List<String> results = run.results();
    assertEquals(1 + net.layers().size(), results.size(), run.out());
    assertTrue(results.get(0).startsWith("RESULT task=show network=MnistResNet "), results.get(0));
    assertTrue(run.out().strip().endsWith(results.get(results.size() - 1)), "RESULT lines come last");
    Layer last = net.layers().get(net.layers().size() - 1);
    assertTrue(results.get(results.size() - 1).startsWith("RESULT task=show layer=" + last.name() + " output=[10] bars=10 "));
    for (Layer layer : net.layers()) {
      assertTrue(Files.isRegularFile(plots.resolve("mnistresnet-test0-" + layer.name() + ".png")), layer.name());
    }

    // The same with the matching --model, and a wrong one named with the one that draws it.
    assertEquals(0, show("--model", "resnet", "--checkpoint", resnet.toString(), "--layer", "stem").exit());
    run = show("--model", "lenet5", "--checkpoint", resnet.toString());
    assertEquals(2, run.exit(), run.out() + run.err());
    assertEquals(
        "kiln show: " + resnet + " holds MnistResNet (from ./kiln mnist --model resnet), not LeNet5; draw"
            + " it with --model resnet (or leave --model out)",
        run.err().strip());
  }

  @Test
  void drawsEveryNetworkOfTheMnistCommandAndTheLadder() throws Exception {
    for (var entry : ShowCommand.networks().entrySet()) {
      Model net = entry.getValue().apply(1);
      Path file = dir.resolve(entry.getKey() + ".safetensors");
      Checkpoint.save(net, file);
      Layer last = net.layers().get(net.layers().size() - 1);
      Run run = show("--checkpoint", file.toString(), "--layer", last.name());
      assertEquals(0, run.exit(), entry.getKey() + ": " + run.out() + run.err());
      assertTrue(run.results().get(0).startsWith("RESULT task=show network=" + net.name() + " "), run.out());
      assertTrue(run.results().get(1).contains(" bars=10 "), run.out());
      assertEquals(entry.getKey(), ShowCommand.modelOf(net.name()));
    }
    assertEquals(
        List.of("lenet5", "resnet", "inception", "mobilenet", "softmax", "relu-normal", "relu-xavier", "deep-dropout", "cnn2", "cnn3"),
        List.copyOf(ShowCommand.networks().keySet()));
  }

  @Test
  void aNetworkShowCannotDrawIsNamed() throws Exception {
    Path xor = dir.resolve("xor.safetensors");
    Checkpoint.save(XorShallowModel.create(1), xor);
    Run run = show("--checkpoint", xor.toString());
    assertEquals(1, run.exit());
    assertEquals(
        "kiln show: " + xor + " holds XorShallow, which show cannot draw; it draws lenet5, resnet,"
            + " inception, mobilenet, softmax, relu-normal, relu-xavier, deep-dropout, cnn2, cnn3",
        run.err().strip());
    run = show("--model", "vgg16");
    assertEquals(2, run.exit());
    assertTrue(run.err().startsWith("kiln show: unknown --model 'vgg16'; choose one of lenet5, resnet,"), run.err());
    assertFalse(Files.exists(plots), "nothing written");
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
    run = kiln("show", "--model", "resnet", "--data", data.toString(), "--plots", plots.toString());
    assertEquals(1, run.exit());
    assertEquals(
        "kiln show: checkpoint resnet.safetensors not found; train one with ./kiln mnist --model resnet"
            + " (it writes resnet.safetensors) or pass --checkpoint FILE",
        run.err().strip());
    Path other = dir.resolve("cnn2.safetensors");
    Checkpoint.save(Cnn2Model.create(1), other);
    run = show("--model", "lenet5", "--checkpoint", other.toString());
    assertEquals(2, run.exit());
    assertEquals(
        "kiln show: " + other + " holds Cnn2, not LeNet5; draw it with --model cnn2 (or leave --model out)",
        run.err().strip());
    // A file without Kiln's record of its network: the loader names what does not match.
    Path bare = dir.resolve("bare.safetensors");
    Files.write(bare, withoutMetadata(Files.readAllBytes(other)));
    run = show("--checkpoint", bare.toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().startsWith("kiln show: cannot load the checkpoint: " + bare + ": does not match network LeNet5"), run.err());
    assertFalse(Files.exists(plots), "nothing written");
  }
}
