package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The OpenCL C program being written: kernels as text, and the launch list the runtime follows
 * ({@code //@} directive lines at the top of the program, see {@link OpenClEmitter}).
 */
final class ClProgram {
  /** Every layer kernel takes these arguments, so the runtime binds them all the same way. */
  static final String ARGS =
      "__global const float* x, __global float* p, __global float* g, __global float* ws,"
          + " __global const float* t, __global float* stats, __global const ulong* noise,"
          + " const int n, const float scale, __global float* s, __global float* bs,"
          + " __global float* partials";

  /**
   * Work items a parameter gradient should offer a GPU at least: below it, the batch is split
   * into parts summed by separate work items, then the parts are added in order.
   */
  static final int GRADIENT_ITEMS = 16_384;

  /** The most floats a tiled gradient's parts take together (1 MiB). */
  static final int PARTIAL_FLOATS = 1 << 18;

  /** The most parts a batch is split into (a batch of 64 gives one sample per part). */
  static final int MAX_PARTS = 64;

  final TrainingPlan training;
  /** Floats of one sample's workspace (the training plan's, used for inference too). */
  final int workspace;
  final int inputSize;
  private final StringBuilder kernels = new StringBuilder();
  private final List<String> launches = new ArrayList<>();
  /** Backward launches per layer: they run last layer first. */
  private final List<List<String>> backward = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  /** Floats of the {@code partials} buffer the split gradients need (the largest one). */
  private int partials;
  /**
   * Activation derivatives not yet placed, by the output they belong to: the layer that writes
   * that output's gradient applies one as it stores ({@link #derivativeOfInput}); {@link #finish}
   * gives the others kernels of their own.
   */
  private final Map<Plan.Location, Deferred> deferred = new LinkedHashMap<>();
  /** Where {@link #launch} puts a backward launch while {@link #finish} places one: layer and position. */
  private int[] insertAt;

  /**
   * A layer's activation derivative: {@code emit} writes its kernel and launch, which run first
   * in the layer's backward pass ({@code layer}, {@code position}) when no reader applies it.
   */
  private record Deferred(int layer, int position, Activation activation, int gradient, Consumer<ClProgram> emit) {}

  /** The pools that inference runs inside the convolution before them ({@link #poolAfter}): step indices. */
  private final Set<Integer> pooledInside = new HashSet<>();

  ClProgram(TrainingPlan training) {
    this.training = training;
    this.workspace = training.workspaceSize();
    this.inputSize = Math.toIntExact(training.plan().model().input().size());
  }

  /**
   * The max pool that inference may run inside convolution step {@code conv}, if one may: the
   * next step, a 2x2 max pool of stride 2 over the whole of an even output ({@link
   * dev.kiln.processor.model.Op#fusesIntoConvolution}), is the only reader of the convolution's
   * output, and neither layer ends in a Softmax or the loss's activation. The pool's maximum is
   * taken from the activated values the convolution would have stored, so the result is the same.
   */
  Optional<TrainingStep> poolAfter(int conv) {
    List<TrainingStep> steps = training.steps();
    if (conv + 1 >= steps.size()) {
      return Optional.empty();
    }
    TrainingStep convolution = steps.get(conv);
    TrainingStep pool = steps.get(conv + 1);
    var convNode = convolution.step().node();
    var poolNode = pool.step().node();
    boolean onlyReader = pool.step().node().sources().equals(List.of(conv));
    for (int j = conv + 2; j < steps.size() && onlyReader; j++) {
      onlyReader = !steps.get(j).step().node().sources().contains(conv);
    }
    boolean even = convNode.output().height() == 2 * poolNode.output().height()
        && convNode.output().width() == 2 * poolNode.output().width();
    boolean elementwise = convNode.activation().map(ClActivation::elementwise).orElse(true);
    return onlyReader && even && elementwise && poolNode.op().fusesIntoConvolution()
            && poolNode.activation().isEmpty() && !convolution.lossActivation() && !pool.lossActivation()
            && convolution.transfers().isEmpty()
        ? Optional.of(pool)
        : Optional.empty();
  }

  /** Records that inference runs pool step {@code pool} inside the convolution before it. */
  void poolInside(int pool) {
    pooledInside.add(pool);
  }

  /** Whether inference runs pool step {@code pool} inside the convolution before it ({@link #poolAfter}). */
  boolean pooledInside(int pool) {
    return pooledInside.contains(pool);
  }

  /** A C identifier for a layer name, unique in the program ({@code c5.flatten} → {@code c5_flatten}). */
  String layerName(String name) {
    String base = name.replaceAll("[^A-Za-z0-9_]", "_");
    String unique = base;
    for (int k = 2; names.contains(unique); k++) {
      unique = base + "_" + k;
    }
    return unique;
  }

  void reserve(String name) {
    names.add(name);
  }

  /** Where sample {@code b}'s copy of a location starts, as a pointer expression. */
  String at(Plan.Location location) {
    return location.isInput() ? "x + (size_t)b * " + inputSize : workspace(location.offset());
  }

  String workspace(int offset) {
    return "ws + (size_t)b * " + workspace + " + " + offset;
  }

  /**
   * A kernel with one work item per element of every sample ({@code n * perSample} items): the
   * body sees {@code b} (the sample) and {@code i} (the element).
   */
  void perSample(String name, String comment, int perSample, String body) {
    kernel(
        name, comment,
        "  const int gid = get_global_id(0);\n"
            + "  if (gid >= n * " + perSample + ") return;\n"
            + "  const int b = gid / " + perSample + ";\n"
            + "  const int i = gid - b * " + perSample + ";\n",
        body);
  }

  /**
   * A kernel over tiles of {@code samples} samples, {@code perTile} work items each: the body sees
   * {@code b0} (the tile's first sample), {@code i} (the item within the tile) and {@code n}. It is
   * launched like {@link #perSample} with {@code perTile} items per sample, of which the first
   * {@code ceil(n / samples) * perTile} work and the rest return at once (the launch format counts
   * items per sample or in all, not per tile).
   */
  void perSampleTile(String name, String comment, int samples, int perTile, String body) {
    kernel(
        name, comment,
        "  const int gid = get_global_id(0);\n"
            + "  if (gid >= (n + " + (samples - 1) + ") / " + samples + " * " + perTile + ") return;\n"
            + "  const int b0 = gid / " + perTile + " * " + samples + ";\n"
            + "  const int i = gid % " + perTile + ";\n",
        body);
  }

  /** A kernel with {@code items} work items in all (one per parameter, say): the body sees {@code i}. */
  void total(String name, String comment, int items, String body) {
    kernel(name, comment, "  const int i = get_global_id(0);\n  if (i >= " + items + ") return;\n", body);
  }

  /** A kernel: its comment, the signature every layer kernel shares, the index lines, the body. */
  private void kernel(String name, String comment, String indices, String body) {
    kernels.append("// ").append(comment.replace("\n", "\n// ")).append('\n');
    kernels.append("__kernel void ").append(name).append("(").append(ARGS).append(") {\n");
    kernels.append(indices).append(simplify(body)).append("}\n\n");
  }

  /**
   * A parameter gradient, launched in the backward phase: the batch's sum, times {@code scale},
   * of {@code width} consecutive values {@code g[gradientAt + i * width ...]} for each of {@code
   * items} work items {@code i}. {@code prelude} decodes {@code i}; {@code perSample} adds sample
   * {@code b}'s terms into {@code acc[0 .. width)}: tiles of one row of {@code width} values
   * ({@link #parameterGradientTiles}).
   */
  void parameterGradient(
      String name, String comment, int items, int width, int gradientAt, String prelude, String perSample) {
    String zero =
        "  float acc[" + width + "];\n"
            + "  for (int k = 0; k < " + width + "; k++) acc[k] = 0.0f;\n";
    parameterGradientTiles(
        name, comment, items, items * width, gradientAt, prelude + zero, perSample,
        (pointer, factor) -> "  for (int k = 0; k < " + width + "; k++) (" + pointer + ")[i * " + width
            + " + k] = acc[k]" + factor + ";\n");
  }

  /**
   * A parameter gradient computed in tiles: {@code items} work items each add a tile of the
   * gradient's {@code size} values (at {@code g[gradientAt ...]}) over the batch. {@code prelude}
   * decodes {@code i} and zeroes the tile, {@code perSample} adds sample {@code b}'s terms, and
   * {@code store} writes the tile through a pointer to the gradient's first value with a factor
   * ({@code " * scale"} or nothing).
   *
   * <p>Where {@code items} would leave a GPU idle (under {@link #GRADIENT_ITEMS}), the batch is
   * split into parts (no more than {@link #PARTIAL_FLOATS} floats of them): {@code <name>_parts}
   * writes each part's sums to {@code partials} in the gradient's layout, a work item per part
   * and tile, then {@code <name>} adds the parts in order, a work item per value. The order of
   * the additions depends only on the batch size, so results repeat.
   */
  void parameterGradientTiles(
      String name, String comment, int items, int size, int gradientAt, String prelude, String perSample,
      java.util.function.BiFunction<String, String, String> store) {
    // Each part writes the whole gradient, which the last kernel reads back: a large gradient
    // takes fewer parts, or adding them up would cost more than the parts save.
    int parts = Math.max(1, Math.min(Math.min(MAX_PARTS, PARTIAL_FLOATS / size), (GRADIENT_ITEMS + items - 1) / items));
    String body = perSample.indent(4) + "  }\n";
    if (parts == 1) {
      total(name, comment, items,
          prelude + "  for (int b = 0; b < n; b++) {\n" + body + store.apply("g + " + gradientAt, " * scale"));
      launch("backward", name, false, items);
      return;
    }
    partials = Math.max(partials, parts * size);
    String what = comment.startsWith(name + ": ") ? comment.substring(name.length() + 2) : comment;
    kernel(
        name + "_parts",
        name + "_parts: " + what + "\nsummed over " + parts + " parts of the batch, a work item per part and tile",
        "  const int gid = get_global_id(0);\n"
            + "  if (gid >= " + parts * items + ") return;\n"
            + "  const int part = gid / " + items + ";\n"
            + "  const int i = gid - part * " + items + ";\n",
        prelude + "  for (int b = part * n / " + parts + "; b < (part + 1) * n / " + parts + "; b++) {\n" + body
            + store.apply("partials + (size_t)part * " + size, ""));
    launch("backward", name + "_parts", false, (long) parts * items);
    total(name, name + ": adds the " + parts + " parts of " + name + "_parts in order", size,
        "  float sum = 0.0f;\n"
            + "  for (int part = 0; part < " + parts + "; part++) sum += partials[(size_t)part * " + size + " + i];\n"
            + "  g[" + gradientAt + " + i] = sum * scale;\n");
    launch("backward", name, false, size);
  }

  /**
   * Reserves {@code floats} of {@code partials} as scratch for one kernel's output that the next
   * kernel reads (a turned kernel, say): the split gradients before it in the same layer have been
   * added up by then, so the space is free.
   */
  void scratch(int floats) {
    partials = Math.max(partials, floats);
  }

  /** Floats of the {@code partials} buffer (at least 0). */
  int partials() {
    return partials;
  }

  private static final java.util.regex.Pattern IDENTITY =
      java.util.regex.Pattern.compile(" (?:[+-] 0|[*/] 1)\\b(?![.\\w])");

  /**
   * Drops the {@code + 0}, {@code - 0}, {@code * 1} and {@code / 1} that literal shapes leave in
   * index arithmetic ({@code oy * 1 - 0 + ky} reads {@code oy + ky}); each is an identity whatever
   * surrounds it.
   */
  static String simplify(String code) {
    return IDENTITY.matcher(code).replaceAll("");
  }

  /** Free text (the optimizer kernels, which take their own arguments). */
  void raw(String text) {
    kernels.append(text);
  }

  /**
   * Runs {@code kernel} in {@code phase} ({@code forward}, {@code infer}, {@code loss} or
   * {@code backward}) over {@code n * count} items ({@code perSample}) or {@code count} items.
   */
  void launch(String phase, String kernel, boolean perSample, long count) {
    String line = String.format(Locale.ROOT, "//@ %s %s %s %d", phase, kernel, perSample ? "s" : "t", count);
    if (phase.equals("backward") && insertAt != null) {
      backward.get(insertAt[0]).add(insertAt[1]++, line);
    } else if (phase.equals("backward")) {
      backward.get(backward.size() - 1).add(line);
    } else {
      launches.add(line);
    }
  }

  /**
   * Defers the derivative of step {@code t}'s elementwise activation, which turns the gradient of
   * its output into that of its input in place: the one layer that reads the output and writes
   * its gradient may apply it as it stores ({@link #derivativeOfInput}), saving a kernel and a
   * pass over the gradient; otherwise {@code emit} writes a kernel of its own, launched first in
   * this layer's backward pass.
   */
  void deferDerivative(TrainingStep t, Activation activation, Consumer<ClProgram> emit) {
    int layer = backward.size() - 1;
    deferred.put(t.out(), new Deferred(layer, backward.get(layer).size(), activation, t.gradient(), emit));
  }

  /**
   * The activation whose derivative step {@code t} must apply as it stores the gradient of its
   * input (the value before the derivative, then the derivative from the input's value), if that
   * input's layer deferred one and {@code t} is the one step that reads it and writes its whole
   * gradient, in place, with nothing added to it afterwards. A caller that receives it owes it:
   * ask only where the kernel that stores the input gradient will apply it.
   */
  Optional<Activation> derivativeOfInput(TrainingStep t) {
    if (!t.computesInputGradient() || t.ins().size() != 1 || !t.transfers().isEmpty()) {
      return Optional.empty();
    }
    Deferred d = deferred.get(t.in());
    if (d == null || d.gradient() != t.inputGradient() || readers(t.in()) != 1) {
      return Optional.empty();
    }
    deferred.remove(t.in());
    return Optional.of(d.activation());
  }

  /** The steps that run code and read {@code location}. */
  private long readers(Plan.Location location) {
    return training.steps().stream()
        .filter(s -> (s.forward() || s.backward()) && s.ins().contains(location))
        .count();
  }

  /** Gives each derivative that no reader applied its own kernel, first in its layer's backward pass. */
  void finish() {
    for (Deferred d : deferred.values()) {
      insertAt = new int[] {d.layer(), d.position()};
      d.emit().accept(this);
      insertAt = null;
    }
    deferred.clear();
  }

  /** Starts the next layer: its backward launches run before those of the layers before it. */
  void nextLayer() {
    backward.add(new ArrayList<>());
  }

  /** Forward, inference and loss launches in order, then backward ones from the last layer. */
  List<String> launches() {
    List<String> all = new ArrayList<>(launches);
    for (int i = backward.size() - 1; i >= 0; i--) {
      all.addAll(backward.get(i));
    }
    return all;
  }

  String kernels() {
    return kernels.toString();
  }

  /** A float literal in OpenCL C. */
  static String f(double value) {
    return Float.toString((float) value) + "f";
  }
}
