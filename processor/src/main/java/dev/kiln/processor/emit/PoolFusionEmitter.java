package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import java.util.Locale;
import javax.lang.model.element.Modifier;

/**
 * Inference's convolution and 2x2 max pool in one method ({@link Plan.PoolFusion}), taken where
 * the convolution's vector path is the planar one: its result sits in scratch as planes anyway,
 * so the pool, the bias and ReLU run straight from them, and the convolution's NHWC output, its
 * ReLU pass and the pool's own pass are never run (LeNet-5's c1 and s2: 6.1 to 4.1 µs). The plain
 * path, and {@code layerOutput} and training, run the two layers as ever; the values are the same
 * bit for bit.
 */
final class PoolFusionEmitter {
  private PoolFusionEmitter() {}

  /** The fusion that {@code forward} takes at step {@code index} (its conv or its pool), or null. */
  static Plan.PoolFusion at(Plan plan, int index) {
    Plan.PoolFusion fusion = plan.poolFusionAt(index);
    return fusion != null && KernelCalls.planarForward(plan.steps().get(fusion.conv()).node())
        ? fusion
        : null;
  }

  /** E.g. {@code c1AndS2Forward}; a name no layer's methods can have. */
  static String name(Plan plan, Plan.PoolFusion fusion) {
    String pool = plan.steps().get(fusion.pool()).node().name();
    return LayerEmitter.unusedName(
            plan,
            plan.steps().get(fusion.conv()).node().name() + "And"
                + pool.substring(0, 1).toUpperCase(Locale.ROOT) + pool.substring(1))
        + "Forward";
  }

  /** The statement in {@code forward} that runs both layers. */
  static String call(Plan plan, Plan.PoolFusion fusion) {
    Step conv = plan.steps().get(fusion.conv());
    Step pool = plan.steps().get(fusion.pool());
    return name(plan, fusion) + "(p, " + MergeEmitter.inputArguments(conv.ins()) + ", "
        + conv.out().array() + ", " + conv.out().offsetExpression() + ", " + pool.out().array()
        + ", " + pool.out().offsetExpression() + ")";
  }

  static MethodSpec method(Plan plan, Plan.PoolFusion fusion) {
    Step conv = plan.steps().get(fusion.conv());
    Step pool = plan.steps().get(fusion.pool());
    Node node = conv.node();
    boolean relu = node.activation().isPresent();
    return MethodSpec.methodBuilder(name(plan, fusion))
        .addModifiers(Modifier.STATIC)
        .addJavadoc(
            "Inference: $L ($L) and $L ($L), $L -> $L, in one pass: the pool$L run straight from"
                + "\n$L's planes. Input {@code x[xo..]}, output {@code y[yo..]}; {@code t[to..]} is"
                + " where $L's output\ngoes when the two layers run one after the other.\n",
            node.name(), node.describe(), pool.node().name(), pool.node().describe(), node.input(),
            pool.node().output(), relu ? ", the bias and ReLU" : " and the bias", node.name(),
            node.name())
        .addParameter(float[].class, "p")
        .addParameter(float[].class, "x")
        .addParameter(int.class, "xo")
        .addParameter(float[].class, "t")
        .addParameter(int.class, "to")
        .addParameter(float[].class, "y")
        .addParameter(int.class, "yo")
        .addCode(KernelCalls.convPooledForward(conv, node, relu, node.name()))
        .addStatement("$N(p, x, xo, t, to)", LayerEmitter.forwardName(conv))
        .addStatement("$N(p, t, to, y, yo)", LayerEmitter.forwardName(pool))
        .build();
  }
}
