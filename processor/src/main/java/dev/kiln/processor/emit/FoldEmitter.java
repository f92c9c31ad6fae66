package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import javax.lang.model.element.Modifier;

/**
 * Batch inference with each foldable BatchNorm folded into the convolution or dense layer before
 * it ({@link Plan#folds()}, chosen at compile time). The fold itself needs the current weights and
 * moving statistics, so {@code predictBatch} does it once per call, into a copy of the
 * parameters: the layer's weights scaled per output channel by {@code gamma / sqrt(var + eps)},
 * and the BatchNorm's beta slot turned into the layer's bias, {@code (bias - mean) * scale +
 * beta}. The folded layer then writes the BatchNorm's output directly, with its activation.
 * {@code predict} and {@code layerOutput} run the BatchNorm unfolded, as a scale and shift.
 */
final class FoldEmitter {
  private FoldEmitter() {}

  static void emit(TypeSpec.Builder type, Plan plan) {
    MethodSpec.Builder folded =
        MethodSpec.methodBuilder("folded")
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "A new copy of p with every foldable BatchNorm folded into the layer before it (one\n"
                    + "per call: a shared buffer could be refilled by a nested call while read).\n")
            .returns(float[].class)
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "s")
            .addStatement("float[] f = p.clone()");
    for (Plan.Fold fold : plan.folds()) {
      Step producer = plan.steps().get(fold.producer());
      Step norm = plan.steps().get(fold.norm());
      Step step = fold.folded();
      JavaLayers.of(step.node().op()).inference(step).forEach(type::addMethod);
      if (plan.runsOverTiles(fold.producer())) {
        JavaLayers.of(step.node().op()).tileInference(step).forEach(type::addMethod);
      }
      String name = "fold" + producer.constantPrefix(); // unique in the class, e.g. foldC1
      type.addMethod(JavaLayers.of(norm.node().op()).foldInto(name, producer, norm));
      folded.addStatement("$N(p, s, f)", name);
    }
    type.addMethod(folded.addStatement("return f").build());
  }
}
