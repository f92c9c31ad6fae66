package dev.kiln.samples.commands;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.DataFormatException;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.pictures.LayerPictures;
import dev.kiln.samples.pictures.OutputBars;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./kiln show}: pictures of what a trained network sees: a test image, every chosen layer's
 * activation maps for it, the convolution kernels, and the output as a bar per class.
 */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes PNG pictures of a trained checkpoint (LeNet-5, or any network ./kiln mnist or"
          + " ./kiln ladder trains) looking at one MNIST test image: the image, each layer's"
          + " activation maps (one tile per channel), each convolution's kernels (one tile per"
          + " filter) and the output layer as a bar chart of its classes."
    })
public final class ShowCommand implements Callable<Integer> {
  /** MNIST's classes, in the order of the output layer's units. */
  static final List<String> DIGITS = IntStream.range(0, 10).mapToObj(String::valueOf).toList();

  @picocli.CommandLine.Mixin TrainedNetwork trained;

  @Option(
      names = "--layer",
      split = ",",
      paramLabel = "NAME",
      description = "Layers to show, e.g. c1 or c1,c3 (default: all; LeNet-5's are c1, s2, c3, s4, c5, f6, output).")
  List<String> layers;

  @Option(
      names = "--index",
      defaultValue = "0",
      description = "The MNIST test image, 0 to 9999 (default: ${DEFAULT-VALUE}).")
  int index;

  @Option(
      names = "--data",
      defaultValue = "${sys:kiln.home:-.}/data/mnist",
      description = "MNIST directory; the default one is fetched if missing (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--plots",
      defaultValue = "plots",
      description = "Directory for the PNG files (default: ${DEFAULT-VALUE}).")
  Path plots;

  @Option(
      names = "--scale",
      defaultValue = "tile",
      description =
          "Gray scale: tile (each tile from its own minimum to maximum) or common (one range for"
              + " the picture) (default: ${DEFAULT-VALUE}).")
  LayerPictures.Scale scale;

  /**
   * What was written for one layer; {@code filters} is null for a layer without kernels, {@code
   * tiles} 0 for the output's bar chart.
   */
  record Shown(Layer layer, Path activations, int tiles, Path filters, int filterTiles) {}

  /**
   * The networks show draws, all of which read MNIST: those {@code ./kiln mnist --model} trains,
   * by its names, then the ladder's rungs (but the ensemble, which is two of rung 6) by theirs.
   */
  static Map<String, LongFunction<Model>> networks() {
    Map<String, LongFunction<Model>> networks = new LinkedHashMap<>();
    for (MnistCommand.Architecture a : MnistCommand.Architecture.values()) {
      networks.put(a.name().toLowerCase(Locale.ROOT), a.create);
    }
    for (LadderCommand.Rung rung : LadderCommand.RUNGS) {
      networks.putIfAbsent(rung.name(), rung.create());
    }
    networks.remove("ensemble");
    return networks;
  }

  /** The --model name of the network a checkpoint records ({@code MnistResNet}), or null. */
  static String modelOf(String network) {
    for (MnistCommand.Architecture a : MnistCommand.Architecture.values()) {
      if (a.modelName.equals(network)) {
        return a.name().toLowerCase(Locale.ROOT);
      }
    }
    for (Map.Entry<String, LongFunction<Model>> e : networks().entrySet()) {
      if (e.getValue().apply(0).name().equals(network)) { // the ladder's networks are small
        return e.getKey();
      }
    }
    return null;
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    trained.key(); // an unknown --model before anything else
    if (index < 0) {
      return fail(2, "--index " + index + " is negative; MNIST test images are numbered from 0");
    }
    TrainedNetwork.Found found;
    try {
      found = trained.find("show", "draw");
    } catch (DataFormatException e) {
      return fail(1, "cannot load the checkpoint: " + e.getMessage());
    }
    Model net = found.net();
    Path checkpoint = found.checkpoint();
    Map<String, String> about = found.about();
    List<Layer> chosen = choose(net);
    if (chosen == null) {
      return 2;
    }
    try {
      Checkpoint.load(net, checkpoint);
    } catch (DataFormatException e) {
      return fail(1, "cannot load the checkpoint: " + e.getMessage());
    }
    out.println(describe(checkpoint, about));
    LabeledImages test = Mnist.load(MnistFetch.forOption(data, out)).test();
    if (index >= test.size()) {
      return fail(
          2, "--index " + index + " is outside the MNIST test set (0 to " + (test.size() - 1) + ")");
    }

    int size = net.inputSize();
    float[] image = Arrays.copyOfRange(test.images(), index * size, (index + 1) * size);
    int label = test.labels()[index];
    float[] probabilities = net.predict(image);
    int predicted = Trainer.predictedClass(probabilities, 0, probabilities.length);
    String source = net.name() + " (" + checkpoint.getFileName() + ")";
    String sample =
        String.format(
            Locale.ROOT, "MNIST test #%d: label %d, predicted %d (p %.4f)", index, label, predicted,
            probabilities[predicted]);
    out.println(source + " on " + sample);

    String stem = net.name().toLowerCase(Locale.ROOT);
    Path input =
        LayerPictures.write(
            LayerPictures.image(image, net.inputShape(), List.of(sample, "the input of " + source)).image(),
            plots.resolve(stem + "-test" + index + "-input.png"));
    out.println("Wrote " + input + " (the input image)");

    List<Shown> shown = new ArrayList<>();
    for (Layer layer : chosen) {
      shown.add(show(net, layer, image, source, sample, stem, label, predicted));
    }
    for (Shown s : shown) {
      out.println(
          "Wrote " + s.activations() + " (" + s.layer().name()
              + (s.tiles() == 0
                  ? ": a bar per class)"
                  : s.layer().outputShape().flat()
                      ? " units, one tile)"
                      : " activation maps, " + s.tiles() + " tiles)")
              + (s.filters() == null ? "" : " and " + s.filters() + " (" + s.filterTiles() + " kernel tiles)"));
    }
    out.printf(
        Locale.ROOT,
        "RESULT task=show network=%s checkpoint=%s index=%d label=%d predicted=%d probability=%.4f"
            + " input=%s layers=%d scale=%s%n",
        net.name(), checkpoint, index, label, predicted, probabilities[predicted], input,
        shown.size(), scale.name().toLowerCase(Locale.ROOT));
    for (Shown s : shown) {
      out.println(
          "RESULT task=show layer=" + s.layer().name() + " output=" + s.layer().outputShape()
              + (s.tiles() == 0 ? " bars=" + DIGITS.size() : " tiles=" + s.tiles())
              + " activations=" + s.activations()
              + (s.filters() == null ? "" : " filter_tiles=" + s.filterTiles() + " filters=" + s.filters()));
    }
    return 0;
  }

  private Shown show(
      Model net, Layer layer, float[] image, String source, String sample, String stem, int label, int predicted)
      throws java.io.IOException {
    String what =
        layer.name() + ": " + layer.description() + ", " + layer.inputShape() + " -> " + layer.outputShape();
    Path file = plots.resolve(stem + "-test" + index + "-" + layer.name() + ".png");
    List<Layer> all = net.layers();
    if (layer == all.get(all.size() - 1) && layer.outputShape().flat() && layer.outputShape().size() == DIGITS.size()) {
      // The network's output: one labelled bar per class rather than a grid of unnamed units.
      float[] values = net.layerOutput(image, layer);
      LayerPictures.write(OutputBars.draw(values, DIGITS, label, predicted, List.of(what, source + " on " + sample)), file);
      return new Shown(layer, file, 0, null, 0);
    }
    LayerPictures.Picture maps =
        LayerPictures.activations(
            net.layerOutput(image, layer), layer.outputShape(), List.of(what, source + " on " + sample), scale);
    Path activations = LayerPictures.write(maps.image(), file);
    if (layer.weightShape().length != 4) {
      return new Shown(layer, activations, maps.layout().tiles(), null, 0);
    }
    boolean first = net.layers().get(0) == layer;
    LayerPictures.Picture kernels =
        LayerPictures.filters(
            layer,
            net.weights(layer),
            first,
            List.of(
                layer.name() + ": " + layer.description() + ", kernels "
                    + Arrays.toString(layer.weightShape()) + " HWIO",
                source),
            scale);
    Path filters = LayerPictures.write(kernels.image(), plots.resolve(stem + "-" + layer.name() + "-filters.png"));
    return new Shown(layer, activations, maps.layout().tiles(), filters, kernels.layout().tiles());
  }

  /** The layers named by --layer (all by default), or null after saying which name is unknown. */
  private List<Layer> choose(Model net) {
    if (layers == null || layers.isEmpty()) {
      return net.layers();
    }
    List<Layer> chosen = new ArrayList<>();
    for (String name : layers) {
      Layer found = null;
      for (Layer layer : net.layers()) {
        if (layer.name().equals(name.strip())) {
          found = layer;
        }
      }
      if (found == null) {
        List<String> names = net.layers().stream().map(Layer::name).toList();
        fail(2, "no layer '" + name + "' in " + net.name() + "; its layers are " + String.join(", ", names));
        return null;
      }
      if (!chosen.contains(found)) {
        chosen.add(found);
      }
    }
    return chosen;
  }

  private static int fail(int code, String message) {
    System.err.println("kiln show: " + message);
    return code;
  }

  /**
   * What made a checkpoint, from its metadata: e.g. {@code Checkpoint lenet5.safetensors:
   * LeNet5 from ./kiln mnist --model lenet5, 10 epochs on 60,000 images, test accuracy 99.22%
   * (2026-12-07T07:40:00Z)}; a checkpoint without it says so.
   */
  static String describe(Path checkpoint, java.util.Map<String, String> about) {
    String name = "Checkpoint " + checkpoint + ": " + about.getOrDefault("network", "?");
    if (!about.containsKey("command")) {
      return name + " (no record of how it was trained)";
    }
    String images = about.getOrDefault("train_images", "?");
    try {
      images = String.format(Locale.ROOT, "%,d", Long.parseLong(images));
    } catch (NumberFormatException e) {
      // shown as written
    }
    String accuracy = about.getOrDefault("test_accuracy", "?");
    try {
      accuracy = String.format(Locale.ROOT, "%.2f%%", 100 * Double.parseDouble(accuracy));
    } catch (NumberFormatException e) {
      // shown as written
    }
    return name + " from " + about.get("command") + ", " + about.getOrDefault("epochs", "?")
        + " epoch(s) on " + images + " images, test accuracy " + accuracy
        + (about.containsKey("trained") ? " (" + about.get("trained") + ")" : "");
  }
}
