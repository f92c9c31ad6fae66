package dev.kiln.processor.emit;

import com.palantir.javapoet.FieldSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Names for the workspace regions the generated calls pass, so that {@code c3Forward(p, ws,
 * S2_OUT, ws, C3_OUT)} says what it reads and writes: a layer's output is {@code <LAYER>_OUT} at
 * inference and {@code <LAYER>_TRAIN_OUT} in training, the gradient of its output {@code
 * <LAYER>_DOUT}, the gradient of its input {@code <LAYER>_DIN} ({@code _DIN0}, {@code _DIN1}, ...
 * for a merge), dropout's mask {@code <LAYER>_MASK}. A layer that works in place, or passes its
 * input on, uses its input's name. Each name becomes a constant of the generated class the first
 * time a call uses it ({@link #constants()}); javac folds it, so the bytecode is that of the number.
 */
final class RegionNames {
  /** Names the generated class declares besides these. */
  private static final List<String> FIXED =
      List.of("INPUT_SIZE", "OUTPUT_SIZE", "PARAMETER_COUNT", "WORKSPACE_SIZE",
          "TRAINING_WORKSPACE_SIZE", "BATCH_STATISTICS_SIZE", "SUMMARY", "INPUT_SHAPE",
          "OUTPUT_SHAPE", "LAYERS", "WORKSPACE", "LAYER_STEPS", "LAYER_OUTPUTS", "TILE",
          "TILE_WORKSPACE");

  private final List<Step> steps;
  private final List<TrainingStep> trainingSteps;
  /** Node name to the name of its output region at inference; null for the caller's input. */
  private final Map<String, String> inference;
  /** The same in training. */
  private final Map<String, String> training;
  private final Map<String, FieldSpec> constants;
  /** What each name stands for ({@code "DOUT c3"}), so that two regions never share a name. */
  private final Map<String, String> meanings;
  private final Map<String, String> names;
  private final Map<String, Integer> values;
  /**
   * For one sample of a tile ({@link #forSample}): the local holding its workspace's offset, and
   * the one holding its input's; null for a single sample.
   */
  private final String workspaceBase;
  private final String inputOffset;
  /**
   * For one sample of a tile: the local holding the offset of the workspace all samples share for
   * the regions in {@link #shared}, which no step outside one run of per-sample steps reads.
   */
  private final String sharedBase;
  private final java.util.Set<String> shared;

  /** A view that shares everything with {@code other} but the sample's offsets. */
  private RegionNames(
      RegionNames other, String workspaceBase, String inputOffset, String sharedBase,
      java.util.Set<String> shared) {
    this.steps = other.steps;
    this.trainingSteps = other.trainingSteps;
    this.inference = other.inference;
    this.training = other.training;
    this.constants = other.constants;
    this.meanings = other.meanings;
    this.names = other.names;
    this.values = other.values;
    this.workspaceBase = workspaceBase;
    this.inputOffset = inputOffset;
    this.sharedBase = sharedBase;
    this.shared = java.util.Set.copyOf(shared);
  }

  /**
   * The same names for one sample of a tile: its regions at {@code ws, <base> + C3_OUT}, its input
   * at {@code x, <input>} ({@code base} and {@code input} are locals of the calling code).
   */
  RegionNames forSample(String base, String input) {
    return new RegionNames(this, base, input, null, java.util.Set.of());
  }

  /**
   * {@link #forSample}, with the regions named in {@code shared} at {@code ws, <sharedBase> +
   * C1_OUT} instead: one workspace every sample of the tile uses in turn, for the regions that
   * live and die within one run of per-sample steps (so they stay in the caches).
   */
  RegionNames forSample(String base, String input, String sharedBase, java.util.Set<String> shared) {
    return new RegionNames(this, base, input, sharedBase, shared);
  }

  /** The name of a step's output region at inference ({@code C3_OUT}), null for the caller's input. */
  String outputRegion(Step step) {
    return inference.get(step.node().name());
  }

  /** The names of the regions a step reads at inference (null for the caller's input). */
  List<String> inputRegions(Step step) {
    List<String> names = new ArrayList<>();
    for (int source : step.node().sources()) {
      names.add(source == Node.NETWORK_INPUT ? null : inference.get(steps.get(source).node().name()));
    }
    return names;
  }

  /**
   * The arguments of a {@code <name>Tile} call for a step's input: {@code ws, S4_OUT,
   * WORKSPACE_SIZE} (each sample's workspace after the last), or {@code x, xo, INPUT_SIZE}.
   */
  String tileInput(Step step) {
    int source = step.node().sources().get(0);
    String name = source == Node.NETWORK_INPUT ? null : inference.get(steps.get(source).node().name());
    return name == null ? "x, xo, INPUT_SIZE" : "ws, " + name + ", WORKSPACE_SIZE";
  }

  /** The arguments of a {@code <name>Tile} call for a step's output: {@code ws, C5_OUT, WORKSPACE_SIZE}. */
  String tileOutput(Step step) {
    return "ws, " + inference.get(step.node().name()) + ", WORKSPACE_SIZE";
  }

  RegionNames(Plan plan, TrainingPlan trainingPlan) {
    this.workspaceBase = null;
    this.inputOffset = null;
    this.sharedBase = null;
    this.shared = java.util.Set.of();
    this.inference = new HashMap<>();
    this.training = new HashMap<>();
    this.constants = new LinkedHashMap<>();
    this.meanings = new HashMap<>();
    this.names = new HashMap<>();
    this.values = new HashMap<>();
    this.steps = plan.steps();
    this.trainingSteps = trainingPlan.steps();
    for (String name : FIXED) {
      meanings.put(name, "fixed");
    }
    for (Step step : plan.steps()) {
      for (String name : List.of(step.weightConstant(), step.stateConstant(), step.constantPrefix() + "_BIAS")) {
        meanings.put(name, "parameters");
      }
    }
    for (Step step : plan.steps()) {
      name(inference, step, step.out(), step.ins().get(0), "OUT", "output at inference");
    }
    for (Plan.Fold fold : plan.folds()) {
      // The folded layer writes its BatchNorm's output.
      Step norm = plan.steps().get(fold.norm());
      inference.put(fold.folded().node().name(), inference.get(norm.node().name()));
    }
    for (TrainingStep t : trainingPlan.steps()) {
      name(training, t.step(), t.out(), t.ins().get(0), "TRAIN_OUT", "output in training");
    }
  }

  /** Names {@code step}'s output: its own region, or the one it reads when it has none. */
  private void name(
      Map<String, String> outputs, Step step, Plan.Location out, Plan.Location in, String role,
      String what) {
    Node node = step.node();
    String name;
    if (out.isInput()) {
      name = null;
    } else if (out.equals(in) && node.sources().get(0) != Node.NETWORK_INPUT) {
      name = outputs.get(steps.get(node.sources().get(0)).node().name());
    } else {
      name = declare(step, role, out.offset(), node.name() + "'s " + what + ", " + node.output());
    }
    outputs.put(node.name(), name);
  }

  /** The array and offset of a step's output at inference: {@code ws, C3_OUT}, or {@code x, xo}. */
  String output(Step step) {
    return location(inference.get(step.node().name()));
  }

  /** A call's input arguments at inference: an array and offset per source. */
  String inputs(Step step) {
    return inputs(inference, step);
  }

  /** The offset of a step's output in training, {@code C3_TRAIN_OUT}. */
  String trainingOutput(TrainingStep t) {
    String name = training.get(t.step().node().name());
    if (name == null) {
      throw new IllegalStateException(t.step().node().name() + "'s output is the caller's input");
    }
    return shift(name);
  }

  /** The array and offset of a step's output in training. */
  String trainingLocation(TrainingStep t) {
    return location(training.get(t.step().node().name()));
  }

  /** A call's input arguments in training: an array and offset per source. */
  String trainingInputs(TrainingStep t) {
    return inputs(training, t.step());
  }

  private String inputs(Map<String, String> outputs, Step step) {
    List<String> arguments = new ArrayList<>();
    for (int source : step.node().sources()) {
      arguments.add(
          source == Node.NETWORK_INPUT
              ? location(null)
              : location(outputs.get(steps.get(source).node().name())));
    }
    return String.join(", ", arguments);
  }

  /** The offset of the gradient of a step's output, {@code C3_DOUT}. */
  String gradient(TrainingStep t) {
    return shift(gradient(t.step(), t.gradient()));
  }

  private String gradient(Step step, int offset) {
    return declare(step, "DOUT", offset, "the gradient of " + step.node().name() + "'s output in training");
  }

  /**
   * The offset where a step's backward pass leaves the gradient of its {@code k}-th input: that
   * input's own gradient region where it is handed over, the gradient of the step's output where
   * it works in place, -1 where that input needs none.
   */
  String inputGradient(TrainingStep t, int k) {
    int at = t.inputGradients().get(k);
    if (at < 0) {
      return "-1";
    }
    int source = t.step().node().sources().get(k);
    if (source != Node.NETWORK_INPUT && trainingSteps.get(source).gradient() == at) {
      return gradient(trainingSteps.get(source));
    }
    if (at == t.gradient()) {
      return gradient(t);
    }
    boolean several = t.inputGradients().size() > 1;
    return shift(declare(
        t.step(), "DIN" + (several ? k : ""), at,
        "where " + t.step().node().name() + "'s backward pass leaves the gradient of its input"
            + (several ? " " + k : "")));
  }

  /** Where a transfer's gradient goes: the gradient of the output of the source it is for. */
  String transferTarget(TrainingStep t, TrainingPlan.Transfer transfer) {
    return shift(gradient(steps.get(t.step().node().sources().get(transfer.input())), transfer.to()));
  }

  /** The offset of dropout's mask, {@code DROP_MASK}. */
  String mask(TrainingStep t) {
    return shift(declare(t.step(), "MASK", t.maskOffset(), t.step().node().name() + "'s dropout mask in training"));
  }

  /** The constants the calls named, in the order they were first used. */
  List<FieldSpec> constants() {
    return List.copyOf(constants.values());
  }

  /** A region's offset as the calls pass it: the constant, or for one sample of a tile, its base plus it. */
  private String shift(String name) {
    if (shared.contains(name)) {
      return sharedBase + " + " + name;
    }
    return workspaceBase == null ? name : workspaceBase + " + " + name;
  }

  private String location(String name) {
    if (name == null) {
      return "x, " + (inputOffset == null ? "xo" : inputOffset);
    }
    return "ws, " + shift(name);
  }

  /**
   * The constant for {@code step}'s region {@code role}, declared on first use: {@code
   * <PREFIX>_<ROLE>}, with {@code _2}, {@code _3}, ... where a layer's name makes that one mean
   * something else already.
   */
  private String declare(Step step, String role, int offset, String doc) {
    String meaning = role + " " + step.node().name();
    String known = names.get(meaning);
    if (known != null) {
      if (values.get(known) != offset) {
        throw new IllegalStateException(meaning + " at both " + values.get(known) + " and " + offset);
      }
      return known;
    }
    String base = step.constantPrefix() + "_" + role;
    String name = base;
    for (int k = 2; meanings.containsKey(name); k++) {
      name = base + "_" + k;
    }
    meanings.put(name, meaning);
    names.put(meaning, name);
    values.put(name, offset);
    constants.put(
        name,
        FieldSpec.builder(int.class, name, Modifier.STATIC, Modifier.FINAL)
            .addJavadoc("Workspace offset of $L.\n", doc)
            .initializer("$L", offset)
            .build());
    return name;
  }
}
