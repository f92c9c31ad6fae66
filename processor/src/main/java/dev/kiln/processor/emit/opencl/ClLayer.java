package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * The OpenCL kernels of one layer kind: adds to {@code program} the kernels of training step
 * {@code t} (the layer's {@code index}-th step), named after {@code name}, and their launches.
 * {@link #of} is the one place that maps kinds to their emitters.
 */
@FunctionalInterface
interface ClLayer {
  void emit(ClProgram program, String name, TrainingStep t, int index);

  static ClLayer of(Op op) {
    return op.accept(
        new Op.Visitor<ClLayer>() {
          @Override
          public ClLayer conv(Op.Conv conv) {
            return (program, name, t, index) -> ClConv.emit(program, name, t, index, conv);
          }

          @Override
          public ClLayer depthwiseConv(Op.DepthwiseConv depthwiseConv) {
            return (program, name, t, index) -> ClDepthwiseConv.emit(program, name, t, depthwiseConv);
          }

          @Override
          public ClLayer pool(Op.Pool pool) {
            return (program, name, t, index) -> ClPool.emit(program, name, t, index, pool);
          }

          @Override
          public ClLayer dense(Op.Dense dense) {
            return (program, name, t, index) -> ClDense.emit(program, name, t, dense);
          }

          @Override
          public ClLayer flatten(Op.Flatten flatten) {
            return (program, name, t, index) -> {
              if (t.step().node().activation().isPresent()) {
                ClActivation.layer(program, name, t); // else it moves nothing: no kernel
              }
            };
          }

          @Override
          public ClLayer dropout(Op.Dropout dropout) {
            return (program, name, t, index) -> ClDropout.emit(program, name, t, index, dropout);
          }

          @Override
          public ClLayer activate(Op.Activate activate) {
            return (program, name, t, index) -> ClActivation.layer(program, name, t);
          }

          @Override
          public ClLayer batchNorm(Op.BatchNorm batchNorm) {
            return (program, name, t, index) ->
                ClBatchNorm.emit(program, name, t, t.statisticsOffset(), batchNorm);
          }

          @Override
          public ClLayer merge(Op.Merge merge) {
            return (program, name, t, index) -> ClMerge.emit(program, name, t, merge);
          }
        });
  }
}
