package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
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

  /** The producer as it runs folded: biased at the BatchNorm's beta, with its activation. */
  static Step foldedStep(Plan plan, Plan.Fold fold) {
    Step producer = plan.steps().get(fold.producer());
    Step norm = plan.steps().get(fold.norm());
    Node p = producer.node();
    Op op =
        p.op() instanceof Op.Conv c
            ? new Op.Conv(c.filters(), c.window(), true, c.init(), c.biasInit())
            : new Op.Dense(((Op.Dense) p.op()).units(), true, ((Op.Dense) p.op()).init(),
                ((Op.Dense) p.op()).biasInit());
    String name = LayerEmitter.unusedName(plan, p.name() + "Folded");
    Node node =
        new Node(name, op, norm.node().activation(), p.sources(), p.inputs(), p.output(),
            p.origin());
    return new Step(
        node, producer.weightOffset(), norm.biasOffset(), -1, producer.constantPrefix(),
        producer.ins(), norm.out());
  }

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
      Step step = foldedStep(plan, fold);
      ModelEmitter.emitterFor(step).forward(step).forEach(type::addMethod);
      String name = "fold" + producer.constantPrefix(); // unique in the class, e.g. foldC1
      type.addMethod(foldMethod(name, producer, norm));
      folded.addStatement("$N(p, s, f)", name);
    }
    type.addMethod(folded.addStatement("return f").build());
  }

  private static MethodSpec foldMethod(String name, Step producer, Step norm) {
    int channels = producer.node().output().channels();
    long rows = producer.node().weightCount() / channels;
    Op.BatchNorm bn = (Op.BatchNorm) norm.node().op();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(name)
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "$L folded into $L: weights times gamma / sigma per output channel, the shift as the bias.\n",
                norm.node().name(), producer.node().name())
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "s")
            .addParameter(float[].class, "f");
    method.beginControlFlow("for (int o = 0; o < $L; o++)", channels);
    method.addStatement(
        "float scale = p[$L + o] / (float) Math.sqrt(s[$L + o] + $Lf)", norm.weightOffset(),
        norm.stateOffset() + channels, (float) bn.epsilon());
    method.beginControlFlow("for (int k = 0; k < $L; k++)", rows);
    method.addStatement("f[$L + k * $L + o] *= scale", producer.weightOffset(), channels);
    method.endControlFlow();
    method.addStatement(
        "f[$L + o] = ($L - s[$L + o]) * scale + p[$L + o]", norm.biasOffset(),
        producer.biasOffset() >= 0 ? "p[" + producer.biasOffset() + " + o]" : "0f",
        norm.stateOffset(), norm.biasOffset());
    method.endControlFlow();
    return method.build();
  }

  /** Whether step {@code i} is a folded BatchNorm; the producer that absorbed it otherwise null. */
  static Plan.Fold foldOfNorm(Plan plan, int i) {
    return plan.folds().stream().filter(f -> f.norm() == i).findFirst().orElse(null);
  }

  static Plan.Fold foldOfProducer(Plan plan, int i) {
    return plan.folds().stream().filter(f -> f.producer() == i).findFirst().orElse(null);
  }
}
