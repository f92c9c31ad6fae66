package dev.kiln.processor.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.Padding;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.ActivationDeclaration;
import dev.kiln.processor.model.Diagnostic;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.Origin;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Planner;
import dev.kiln.processor.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The validate-and-infer and plan stages on their own: no javac, plain declarations in. */
class AnalyzerTest {
  record Here(String describe) implements Origin {}

  static final Origin ORIGIN = new Here("test");

  static FieldDeclaration field(String name, LayerDeclaration layer, Activation.Kind... activations) {
    List<ActivationDeclaration> list = new ArrayList<>();
    for (Activation.Kind kind : activations) {
      list.add(new ActivationDeclaration(kind, 0.2, new Here(name + " @" + kind)));
    }
    return new FieldDeclaration(
        name, "dev.kiln.runtime.Layer", true, false, false, false,
        layer == null ? List.of() : List.of(layer), list, java.util.Optional.empty(), new Here(name));
  }

  static LayerDeclaration conv(int filters, int kernel, int stride, Padding padding, int... pad) {
    return new LayerDeclaration.ConvDeclaration(
        filters, new int[] {kernel}, new int[] {stride}, padding, pad, true, Init.GLOROT_UNIFORM, BiasInit.ZEROS, ORIGIN);
  }

  static LayerDeclaration maxPool(int size) {
    return new LayerDeclaration.PoolDeclaration(
        Op.PoolKind.MAX, new int[] {size}, new int[0], Padding.VALID, new int[0], ORIGIN);
  }

  static LayerDeclaration dense(int units) {
    return new LayerDeclaration.DenseDeclaration(units, true, Init.GLOROT_UNIFORM, BiasInit.ZEROS, ORIGIN);
  }

  static NetworkDeclaration network(int h, int w, int c, FieldDeclaration... fields) {
    return new NetworkDeclaration(
        "p", "Net", "p.Net", "class", true, false, false, false, false, true, List.of(),
        h, w, c, List.of(fields), ORIGIN);
  }

  static NetworkDeclaration lenet5() {
    return network(
        28, 28, 1,
        field("c1", conv(6, 5, 1, Padding.SAME), Activation.Kind.RELU),
        field("s2", maxPool(2)),
        field("c3", conv(16, 5, 1, Padding.VALID), Activation.Kind.RELU),
        field("s4", maxPool(2)),
        field("c5", dense(120), Activation.Kind.RELU),
        field("f6", dense(84), Activation.Kind.RELU),
        field("output", dense(10), Activation.Kind.SOFTMAX));
  }

  @Test
  void infersLenet5ShapesParametersAndMultiplyAdds() {
    Diagnostics diagnostics = new Diagnostics();
    NetworkModel model = new Analyzer(diagnostics).analyze(lenet5()).orElseThrow();
    assertEquals(List.of(), diagnostics.all());
    List<String> shapes = model.nodes().stream().map(n -> n.name() + " " + n.output()).toList();
    assertEquals(
        List.of("c1 28x28x6", "s2 14x14x6", "c3 10x10x16", "s4 5x5x16", "c5.flatten [400]",
            "c5 [120]", "f6 [84]", "output [10]"),
        shapes);
    assertEquals(61_706, model.parameterCount());
    // 28*28*6*25 + 10*10*16*150 + 400*120 + 120*84 + 84*10
    assertEquals(117_600 + 240_000 + 48_000 + 10_080 + 840, model.multiplyAdds());
    Node c1 = model.nodes().get(0);
    assertEquals("Conv2D 5x5 stride 1 SAME (pad 2/2/2/2) + ReLU", c1.describe());
  }

  @Test
  void samePaddingPutsTheExtraRowAtTheBottom() {
    Diagnostics diagnostics = new Diagnostics();
    NetworkModel model =
        new Analyzer(diagnostics)
            .analyze(network(5, 6, 1, field("c", conv(1, 4, 2, Padding.SAME))))
            .orElseThrow();
    Op.Conv conv = (Op.Conv) model.nodes().get(0).op();
    // height: out = ceil(5/2) = 3, total = (3-1)*2 + 4 - 5 = 3 -> 1 on top, 2 below
    // width:  out = ceil(6/2) = 3, total = (3-1)*2 + 4 - 6 = 2 -> 1 left, 1 right
    assertEquals("3x3x1", model.output().toString());
    assertEquals(List.of(1, 2, 1, 1), List.of(conv.window().padTop(), conv.window().padBottom(),
        conv.window().padLeft(), conv.window().padRight()));
  }

  @Test
  void stridesAndWindowsNearIntegerMaxValueKeepTensorFlowShapes() {
    // Found by FuzzTest: SAME computed n + s - 1 in int, which overflowed; and a window's four
    // pads summed in int looked like no padding, so the emitter unrolled a 2^31 x 2^31 window.
    int huge = Integer.MAX_VALUE;
    Diagnostics diagnostics = new Diagnostics();
    NetworkModel model =
        new Analyzer(diagnostics)
            .analyze(
                network(
                    28, 27, 1,
                    field("c", conv(2, 3, huge, Padding.SAME)),
                    field("v", conv(2, 1, huge, Padding.VALID)),
                    field("p", new LayerDeclaration.PoolDeclaration(
                        Op.PoolKind.MAX, new int[] {huge}, new int[0], Padding.SAME, new int[0], ORIGIN))))
            .orElseThrow();
    assertEquals(List.of(), diagnostics.all());
    // c: out = ceil(28 / huge) = 1, total padding max(0 * huge + 3 - 28, 0) = 0
    assertEquals(
        List.of("c 1x1x2", "v 1x1x2", "p 1x1x2"),
        model.nodes().stream().map(n -> n.name() + " " + n.output()).toList());
    assertEquals(
        "MaxPool 2147483647x2147483647 stride 2147483647 SAME"
            + " (pad 1073741823/1073741823/1073741823/1073741823)",
        model.nodes().get(2).describe());
    assertTrue(((Op.Pool) model.nodes().get(2).op()).window().padded());
  }

  @Test
  void reportsEveryMistakeWithoutFollowOnErrors() {
    Diagnostics diagnostics = new Diagnostics();
    Optional<NetworkModel> model =
        new Analyzer(diagnostics)
            .analyze(
                network(
                    8, 8, 1,
                    field("a", conv(0, 3, 1, Padding.VALID)),       // bad-filters
                    field("b", conv(4, 30, 1, Padding.VALID)),      // unknown input: not checked
                    field("c", dense(0), Activation.Kind.SOFTMAX),  // bad-units, softmax-not-last
                    field("d", dense(3))));
    assertTrue(model.isEmpty());
    assertEquals(
        List.of("bad-filters", "softmax-not-last", "bad-units"),
        diagnostics.all().stream().map(Diagnostic::tag).toList());
  }

  @Test
  void planReusesActivationBuffersAndNeverWritesTheInput() {
    NetworkModel model = new Analyzer(new Diagnostics()).analyze(lenet5()).orElseThrow();
    Plan plan = Planner.plan(model);
    assertEquals(61_706, plan.parameterCount());
    // c1's output and s2's, live together while s2 runs; everything later fits where c1's was.
    assertEquals(28 * 28 * 6 + 14 * 14 * 6, plan.workspaceSize());
    List<String> flow = new ArrayList<>();
    for (Step step : plan.steps()) {
      flow.add(step.node().name() + ":" + where(step.in()) + "->" + where(step.out()));
    }
    assertEquals(
        List.of("c1:xxo->ws0", "s2:ws0->ws4704", "c3:ws4704->ws0", "s4:ws0->ws1600",
            "c5.flatten:ws1600->ws1600", "c5:ws1600->ws0", "f6:ws0->ws120", "output:ws120->ws0"),
        flow);
    Step c5 = plan.steps().get(5);
    assertEquals(2572, c5.weightOffset());
    assertEquals(2572 + 400 * 120, c5.biasOffset());
  }

  @Test
  void anActivationOnTheInputGetsItsOwnBuffer() {
    NetworkModel model =
        new Analyzer(new Diagnostics())
            .analyze(network(1, 1, 4, field("r", null, Activation.Kind.RELU), field("t", null, Activation.Kind.TANH)))
            .orElseThrow();
    Plan plan = Planner.plan(model);
    assertTrue(plan.steps().get(0).in().isInput());
    assertEquals(0, plan.steps().get(0).out().offset());
    assertEquals(plan.steps().get(1).in(), plan.steps().get(1).out(), "in place after the input");
  }

  /** {@code xxo} for the caller's input, {@code ws<offset>} for the workspace. */
  private static String where(Plan.Location location) {
    return location.isInput() ? "xxo" : "ws" + location.offset();
  }
}
