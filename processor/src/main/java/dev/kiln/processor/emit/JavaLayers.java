package dev.kiln.processor.emit;

import dev.kiln.processor.model.Op;

/** The Java emitter of each layer kind: the one place that maps kinds to emitters. */
final class JavaLayers {
  private JavaLayers() {}

  static JavaLayer of(Op op) {
    return op.accept(
        new Op.Visitor<JavaLayer>() {
          @Override
          public JavaLayer conv(Op.Conv conv) {
            return new ConvEmitter(conv);
          }

          @Override
          public JavaLayer depthwiseConv(Op.DepthwiseConv depthwiseConv) {
            return new DepthwiseConvEmitter(depthwiseConv);
          }

          @Override
          public JavaLayer pool(Op.Pool pool) {
            return new PoolEmitter(pool);
          }

          @Override
          public JavaLayer dense(Op.Dense dense) {
            return new DenseEmitter(dense);
          }

          @Override
          public JavaLayer flatten(Op.Flatten flatten) {
            return new ActivationLayerEmitter(); // runs only for a fused activation
          }

          @Override
          public JavaLayer dropout(Op.Dropout dropout) {
            return new DropoutEmitter(dropout);
          }

          @Override
          public JavaLayer activate(Op.Activate activate) {
            return new ActivationLayerEmitter();
          }

          @Override
          public JavaLayer batchNorm(Op.BatchNorm batchNorm) {
            return new BatchNormEmitter(batchNorm);
          }

          @Override
          public JavaLayer merge(Op.Merge merge) {
            return new MergeEmitter(merge);
          }
        });
  }
}
