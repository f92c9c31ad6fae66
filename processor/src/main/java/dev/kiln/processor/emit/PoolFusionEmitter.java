package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import java.util.Locale;

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

  /** E.g. {@code c1AndS2Forward}; a name no layer's methods can have. */
  static String name(Plan plan, Plan.PoolFusion fusion) {
    String pool = plan.steps().get(fusion.pool()).node().name();
    return plan.unusedName(
            plan.steps().get(fusion.conv()).node().name() + "And"
                + pool.substring(0, 1).toUpperCase(Locale.ROOT) + pool.substring(1))
        + "Forward";
  }

  /** The statement in {@code forward} that runs both layers. */
  static String call(Plan plan, Plan.PoolFusion fusion, RegionNames regions) {
    Step conv = plan.steps().get(fusion.conv());
    Step pool = plan.steps().get(fusion.pool());
    return name(plan, fusion) + "(p, " + regions.inputs(conv) + ", " + regions.output(conv) + ", "
        + regions.output(pool) + ")";
  }

  static MethodSpec method(Plan plan, Plan.PoolFusion fusion) {
    Step conv = plan.steps().get(fusion.conv());
    Step pool = plan.steps().get(fusion.pool());
    return JavaLayers.of(conv.node().op()).withPool(name(plan, fusion), conv, pool);
  }
}
