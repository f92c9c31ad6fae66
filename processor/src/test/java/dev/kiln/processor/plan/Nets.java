package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.From;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.Padding;
import dev.kiln.processor.infer.Analyzer;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.ActivationDeclaration;
import dev.kiln.processor.model.Diagnostic;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.FromDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.Origin;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Networks for the plan tests, built the way {@code AnalyzerTest} builds them: plain declaration
 * records (no javac) through {@link Analyzer}. Every network a plan test uses is listed in {@link
 * #catalog()}, so {@code PlanPropertiesTest} checks the layout invariants on each of them.
 */
final class Nets {
  private Nets() {}

  record Here(String describe) implements Origin {}

  static final Origin ORIGIN = new Here("test");

  // ---- declarations ----

  static FieldDeclaration field(
      String name, LayerDeclaration layer, Activation.Kind... activations) {
    List<ActivationDeclaration> list = new ArrayList<>();
    for (Activation.Kind kind : activations) {
      list.add(new ActivationDeclaration(kind, 0.2, new Here(name + " @" + kind)));
    }
    return new FieldDeclaration(
        name, "dev.kiln.runtime.Layer", true, false, false, false,
        layer == null ? List.of() : List.of(layer), list, Optional.empty(), new Here(name));
  }

  /** The field with {@code @From(names)}; {@link From#INPUT} names the network's input. */
  static FieldDeclaration from(FieldDeclaration f, String... names) {
    return new FieldDeclaration(
        f.name(), f.typeName(), f.layerTyped(), f.isStatic(), f.isPrivate(), f.isFinal(),
        f.layers(), f.activations(),
        Optional.of(new FromDeclaration(List.of(names), new Here(f.name() + " @From"))),
        f.origin());
  }

  static LayerDeclaration conv(int filters, int kernel, Padding padding) {
    return conv(filters, kernel, 1, padding);
  }

  static LayerDeclaration conv(int filters, int kernel, int stride, Padding padding) {
    return new LayerDeclaration.ConvDeclaration(
        filters, new int[] {kernel}, new int[] {stride}, padding, new int[0], true,
        Init.GLOROT_UNIFORM, BiasInit.ZEROS, ORIGIN);
  }

  static LayerDeclaration maxPool(int size) {
    return pool(Op.PoolKind.MAX, size, size);
  }

  static LayerDeclaration pool(Op.PoolKind kind, int size, int stride) {
    return new LayerDeclaration.PoolDeclaration(
        kind, new int[] {size}, new int[] {stride}, Padding.VALID, new int[0], ORIGIN);
  }

  static LayerDeclaration dense(int units) {
    return new LayerDeclaration.DenseDeclaration(
        units, true, Init.GLOROT_UNIFORM, BiasInit.ZEROS, ORIGIN);
  }

  static LayerDeclaration flatten() {
    return new LayerDeclaration.FlattenDeclaration(ORIGIN);
  }

  static LayerDeclaration dropout(double rate) {
    return new LayerDeclaration.DropoutDeclaration(rate, ORIGIN);
  }

  static LayerDeclaration batchNorm() {
    return new LayerDeclaration.BatchNormDeclaration(0.99, 0.001, ORIGIN);
  }

  static LayerDeclaration add() {
    return new LayerDeclaration.MergeDeclaration(Op.MergeKind.ADD, ORIGIN);
  }

  static LayerDeclaration concat() {
    return new LayerDeclaration.MergeDeclaration(Op.MergeKind.CONCAT, ORIGIN);
  }

  static NetworkDeclaration network(int h, int w, int c, FieldDeclaration... fields) {
    return new NetworkDeclaration(
        "p", "Net", "p.Net", "class", true, false, false, false, false, true, List.of(),
        h, w, c, List.of(fields), ORIGIN);
  }

  /** The model, failing the test on any error (warnings such as dead-branch are fine). */
  static NetworkModel analyze(NetworkDeclaration declaration) {
    Diagnostics diagnostics = new Diagnostics();
    Optional<NetworkModel> model = new Analyzer(diagnostics).analyze(declaration);
    assertEquals(
        List.of(),
        diagnostics.all().stream().filter(d -> d.kind() == Diagnostic.Kind.ERROR).toList());
    return model.orElseThrow();
  }

  static Plan plan(NetworkDeclaration declaration) {
    return Planner.plan(analyze(declaration));
  }

  static TrainingPlan training(NetworkDeclaration declaration) {
    return TrainingPlanner.plan(plan(declaration));
  }

  /** Node names in plan order, implicit flattens included. */
  static List<String> names(Plan plan) {
    return plan.steps().stream().map(s -> s.node().name()).toList();
  }

  // ---- the networks ----

  /**
   * LeNet-5 as AnalyzerTest declares it: c1 28x28x6 (4704 floats), s2 14x14x6 (1176), c3
   * 10x10x16 (1600), s4 5x5x16 (400), c5.flatten [400], c5 [120], f6 [84], output [10].
   */
  static NetworkDeclaration lenet5() {
    return network(
        28, 28, 1,
        field("c1", conv(6, 5, Padding.SAME), Activation.Kind.RELU),
        field("s2", maxPool(2)),
        field("c3", conv(16, 5, Padding.VALID), Activation.Kind.RELU),
        field("s4", maxPool(2)),
        field("c5", dense(120), Activation.Kind.RELU),
        field("f6", dense(84), Activation.Kind.RELU),
        field("output", dense(10), Activation.Kind.SOFTMAX));
  }

  /** Four 3x3 SAME convolutions of 4x4x4 (64 floats each); no activation on the last. */
  static NetworkDeclaration sameConvChain() {
    return network(
        4, 4, 4,
        field("c1", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c2", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c3", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c4", conv(4, 3, Padding.SAME)));
  }

  /** 8x8 maps of 2, 4, then 8 channels: 128, 256, 512 floats. */
  static NetworkDeclaration growingChain() {
    return network(
        8, 8, 1,
        field("c1", conv(2, 3, Padding.SAME)),
        field("c2", conv(4, 3, Padding.SAME)),
        field("c3", conv(8, 3, Padding.SAME)));
  }

  /** c 4x4x4 (64 floats), then Dropout and Flatten (no-ops at inference), then Dense 10. */
  static NetworkDeclaration passThrough() {
    return network(
        4, 4, 2,
        field("c", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("drop", dropout(0.5)),
        field("flat", flatten()),
        field("out", dense(10)));
  }

  /** A Dropout on the 2x2x2 input (8 floats), then a ReLU, a Flatten and Dense 3. */
  static NetworkDeclaration dropoutOnTheInput() {
    return network(
        2, 2, 2,
        field("drop", dropout(0.5)),
        field("r", null, Activation.Kind.RELU),
        field("f", flatten()),
        field("d", dense(3)));
  }

  /**
   * A residual block on 4x4x4 (64 floats a layer): c1, c2, c3, then {@code @Add @From({"c3",
   * "c1"}) @ReLU sum}: c1's output stays alive while c2 and c3 run.
   */
  static NetworkDeclaration residual() {
    return network(
        4, 4, 4,
        field("c1", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c2", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c3", conv(4, 3, Padding.SAME)),
        from(field("sum", add(), Activation.Kind.RELU), "c3", "c1"));
  }

  /** The residual block with the shortcut named first: {@code @From({"c1", "c3"})}. */
  static NetworkDeclaration residualShortcutFirst() {
    return network(
        4, 4, 4,
        field("c1", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c2", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c3", conv(4, 3, Padding.SAME)),
        from(field("sum", add(), Activation.Kind.RELU), "c1", "c3"));
  }

  /**
   * Two branches from the 4x4x2 input, {@code left} (1x1 conv, 4x4x4 = 64 floats) and {@code
   * right} (3x3 conv, 4x4x2 = 32 floats), concatenated into 4x4x6 (96 floats).
   */
  static NetworkDeclaration concat2() {
    return network(
        4, 4, 2,
        field("left", conv(4, 1, Padding.VALID), Activation.Kind.RELU),
        from(field("right", conv(2, 3, Padding.SAME), Activation.Kind.RELU), From.INPUT),
        from(field("cat", concat()), "left", "right"));
  }

  /**
   * {@code a} (4x4x4, 64 floats) is read by {@code dead} (4x4x8, 128 floats, which no one reads)
   * and by {@code b} (64 floats), the output.
   */
  static NetworkDeclaration deadBranch() {
    return network(
        4, 4, 2,
        field("a", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("dead", conv(8, 1, Padding.VALID)),
        from(field("b", conv(4, 3, Padding.SAME)), "a"));
  }

  /**
   * Two BatchNorms after convolutions without activation, each folded: c1 4x4x4 (64 floats), bn1
   * with ReLU, c2 4x4x8 (128 floats), bn2, then Dense 2.
   */
  static NetworkDeclaration twoFolds() {
    return network(
        4, 4, 2,
        field("c1", conv(4, 3, Padding.SAME)),
        field("bn1", batchNorm(), Activation.Kind.RELU),
        field("c2", conv(8, 3, Padding.SAME)),
        field("bn2", batchNorm()),
        field("out", dense(2)));
  }

  /**
   * BatchNorms that are not folded: {@code an} after a convolution with ReLU; {@code bn} after a
   * convolution {@code b} that the Concat reads too. All 4x4x4 (64 floats); cat is 128.
   */
  static NetworkDeclaration noFolds() {
    return network(
        4, 4, 2,
        field("a", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("an", batchNorm()),
        field("b", conv(4, 3, Padding.SAME)),
        field("bn", batchNorm()),
        from(field("cat", concat()), "bn", "b"));
  }

  /** A BatchNorm on the input, then a Dense without activation and a BatchNorm after it. */
  static NetworkDeclaration batchNormOnTheInputAndAfterDense() {
    return network(
        1, 1, 4,
        field("bn0", batchNorm()),
        field("d", dense(3)),
        field("bn1", batchNorm()));
  }

  /** A 3x3 SAME convolution without activation on 4x4x1 and a 2x2 max pool: fused. */
  static NetworkDeclaration fusedWithoutActivation() {
    return network(
        4, 4, 1,
        field("c", conv(2, 3, Padding.SAME)),
        field("p", maxPool(2)));
  }

  /** The convolution's output is 5x5: odd, no fusion. */
  static NetworkDeclaration oddConvOutput() {
    return network(
        5, 5, 1,
        field("c", conv(2, 3, Padding.SAME), Activation.Kind.RELU),
        field("p", maxPool(2)),
        field("d", dense(2)));
  }

  /** A 2x2 max pool of stride 1: no fusion. */
  static NetworkDeclaration strideOnePool() {
    return network(
        4, 4, 1,
        field("c", conv(2, 3, Padding.SAME), Activation.Kind.RELU),
        field("p", pool(Op.PoolKind.MAX, 2, 1)));
  }

  /** A ReLU on the max pool: no fusion. */
  static NetworkDeclaration activatedPool() {
    return network(
        4, 4, 1,
        field("c", conv(2, 3, Padding.SAME)),
        field("p", maxPool(2), Activation.Kind.RELU));
  }

  /** The convolution {@code c} is read by the pool and by {@code d}: no fusion. */
  static NetworkDeclaration convReadTwice() {
    return network(
        4, 4, 1,
        field("c", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("p", maxPool(2)),
        from(field("d", conv(4, 1, 2, Padding.VALID)), "c"),
        from(field("sum", add()), "p", "d"));
  }

  /** Tanh on the convolution, and an average pool after a ReLU convolution: no fusion. */
  static NetworkDeclaration tanhConvAndAveragePool() {
    return network(
        8, 8, 1,
        field("c1", conv(2, 3, Padding.SAME), Activation.Kind.TANH),
        field("p1", maxPool(2)),
        field("c2", conv(2, 3, Padding.SAME), Activation.Kind.RELU),
        field("p2", pool(Op.PoolKind.AVG, 2, 2)));
  }

  /** Names whose constant prefixes collide. */
  static NetworkDeclaration collidingPrefixes() {
    return network(
        4, 4, 1,
        field("convBlock2", conv(2, 3, Padding.SAME)),
        field("conv_block2", null, Activation.Kind.RELU),
        field("CONV_BLOCK2", null, Activation.Kind.TANH),
        field("c5_flatten", null, Activation.Kind.RELU),
        field("c5", dense(3)));
  }

  /** Dense 3 on 1x1x4 and Softmax as a field of its own. */
  static NetworkDeclaration softmaxField() {
    return network(
        1, 1, 4,
        field("d", dense(3)),
        field("sm", null, Activation.Kind.SOFTMAX));
  }

  /** Dense 1 with Sigmoid on 1x1x4. */
  static NetworkDeclaration sigmoidFused() {
    return network(1, 1, 4, field("d", dense(1), Activation.Kind.SIGMOID));
  }

  /** Dense 2 with Tanh on 1x1x4. */
  static NetworkDeclaration tanhLast() {
    return network(1, 1, 4, field("d", dense(2), Activation.Kind.TANH));
  }

  /** Dense 2, then ReLU as a field of its own. */
  static NetworkDeclaration reluFieldLast() {
    return network(
        1, 1, 4,
        field("d", dense(2)),
        field("r", null, Activation.Kind.RELU));
  }

  /**
   * A max pool (8x8x2 to 4x4x2, 32 floats) and a ReLU before the first parameters (conv c, 4x4x4,
   * 64 floats), then Dense 3 with Sigmoid.
   */
  static NetworkDeclaration parametersLater() {
    return network(
        8, 8, 2,
        field("p", maxPool(2)),
        field("r", null, Activation.Kind.RELU),
        field("c", conv(4, 3, Padding.SAME)),
        field("o", dense(3), Activation.Kind.SIGMOID));
  }

  /**
   * An Add of a ReLU'd branch and its own input: {@code x} (conv, 64 floats) is read by {@code
   * r} (ReLU), by {@code drop} (Dropout of r) and by the Add; the Dropout passes r's region on.
   */
  static NetworkDeclaration sharedRegions() {
    return network(
        4, 4, 2,
        field("x", conv(4, 3, Padding.SAME)),
        field("r", null, Activation.Kind.RELU),
        field("drop", dropout(0.25)),
        from(field("sum", add()), "drop", "r", "x"),
        field("t", null, Activation.Kind.TANH));
  }

  // ---- more shapes of graph, for the property tests ----

  /** Identity shortcuts from the input, named last and first: {@code Add(c2, input)}, then
   * {@code Add(input, t)}. */
  static NetworkDeclaration inputShortcuts() {
    return network(
        4, 4, 4,
        field("c1", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        field("c2", conv(4, 3, Padding.SAME)),
        from(field("sum", add(), Activation.Kind.RELU), "c2", From.INPUT),
        field("t", conv(4, 1, Padding.VALID)),
        from(field("sum2", add()), From.INPUT, "t"));
  }

  /** A layer merged with itself: {@code Concat(a, a)}, then {@code Add(b, b)}. */
  static NetworkDeclaration selfMerges() {
    return network(
        4, 4, 2,
        field("a", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        from(field("cat", concat()), "a", "a"),
        field("b", conv(4, 1, Padding.VALID)),
        from(field("sum", add(), Activation.Kind.TANH), "b", "b"));
  }

  /** No parameters at all: a max pool and a flatten. */
  static NetworkDeclaration noParameters() {
    return network(
        4, 4, 2,
        field("p", maxPool(2)),
        field("f", flatten()));
  }

  /** Dense 8 on 1x1x4, then a Dropout with Sigmoid, last. */
  static NetworkDeclaration sigmoidDropoutLast() {
    return network(
        1, 1, 4,
        field("d", dense(8), Activation.Kind.RELU),
        field("drop", dropout(0.5), Activation.Kind.SIGMOID));
  }

  /** Two blocks of two convolutions and a pool, then Dense, Dropout and Dense with Softmax. */
  static NetworkDeclaration smallVgg() {
    return network(
        8, 8, 3,
        field("c1", conv(8, 3, Padding.SAME), Activation.Kind.RELU),
        field("c2", conv(8, 3, Padding.SAME), Activation.Kind.RELU),
        field("p1", maxPool(2)),
        field("c3", conv(16, 3, Padding.SAME), Activation.Kind.RELU),
        field("c4", conv(16, 3, Padding.SAME)),
        field("bn", batchNorm(), Activation.Kind.RELU),
        field("p2", maxPool(2)),
        field("d1", dense(32), Activation.Kind.RELU),
        field("drop", dropout(0.5)),
        field("d2", dense(10), Activation.Kind.SOFTMAX));
  }

  /**
   * An inception-like block: branches of different sizes from one stem (one of them two layers
   * deep) concatenated, a shortcut from the stem added after a 1x1 projection, and a 3x3 max pool
   * of the stem that no one reads (a dead branch in the middle of the graph).
   */
  static NetworkDeclaration inception() {
    return network(
        8, 8, 2,
        field("stem", conv(4, 3, Padding.SAME), Activation.Kind.RELU),
        from(field("b1", conv(2, 1, Padding.VALID), Activation.Kind.RELU), "stem"),
        from(field("b2a", conv(6, 1, Padding.VALID), Activation.Kind.RELU), "stem"),
        field("b2b", conv(3, 3, Padding.SAME), Activation.Kind.RELU),
        from(field("b3", pool(Op.PoolKind.MAX, 3, 1)), "stem"),
        from(field("b3p", conv(1, 1, Padding.VALID)), "stem"),
        from(field("cat", concat()), "b1", "b2b", "b3p"),
        from(field("proj", conv(6, 1, Padding.VALID)), "stem"),
        from(field("sum", add(), Activation.Kind.RELU), "cat", "proj"),
        field("gap", pool(Op.PoolKind.GLOBAL_AVG, 1, 1)),
        field("out", dense(3), Activation.Kind.SOFTMAX));
  }

  /** Every network above, by name, for the property tests. */
  static Map<String, Supplier<NetworkDeclaration>> catalog() {
    Map<String, Supplier<NetworkDeclaration>> all = new LinkedHashMap<>();
    all.put("lenet5", Nets::lenet5);
    all.put("sameConvChain", Nets::sameConvChain);
    all.put("growingChain", Nets::growingChain);
    all.put("passThrough", Nets::passThrough);
    all.put("dropoutOnTheInput", Nets::dropoutOnTheInput);
    all.put("residual", Nets::residual);
    all.put("residualShortcutFirst", Nets::residualShortcutFirst);
    all.put("concat2", Nets::concat2);
    all.put("deadBranch", Nets::deadBranch);
    all.put("twoFolds", Nets::twoFolds);
    all.put("noFolds", Nets::noFolds);
    all.put("batchNormOnTheInputAndAfterDense", Nets::batchNormOnTheInputAndAfterDense);
    all.put("fusedWithoutActivation", Nets::fusedWithoutActivation);
    all.put("oddConvOutput", Nets::oddConvOutput);
    all.put("strideOnePool", Nets::strideOnePool);
    all.put("activatedPool", Nets::activatedPool);
    all.put("convReadTwice", Nets::convReadTwice);
    all.put("tanhConvAndAveragePool", Nets::tanhConvAndAveragePool);
    all.put("collidingPrefixes", Nets::collidingPrefixes);
    all.put("softmaxField", Nets::softmaxField);
    all.put("sigmoidFused", Nets::sigmoidFused);
    all.put("tanhLast", Nets::tanhLast);
    all.put("reluFieldLast", Nets::reluFieldLast);
    all.put("parametersLater", Nets::parametersLater);
    all.put("sharedRegions", Nets::sharedRegions);
    all.put("inputShortcuts", Nets::inputShortcuts);
    all.put("selfMerges", Nets::selfMerges);
    all.put("noParameters", Nets::noParameters);
    all.put("sigmoidDropoutLast", Nets::sigmoidDropoutLast);
    all.put("smallVgg", Nets::smallVgg);
    all.put("inception", Nets::inception);
    return all;
  }
}
