package dev.kiln.spark;

import dev.kiln.runtime.optim.Optimizer;
import java.io.Serializable;

/**
 * Makes the optimizer each task trains with (a lambda is enough: {@code steps ->
 * Adam.lr(1e-3)}); it is shipped to the executors, so it must be serializable, and each call must
 * configure the same optimizer. {@code steps} is the run's whole count of optimizer steps, for
 * schedules that span the run ({@code Schedule.oneCycle(steps, lr)}).
 */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
  Optimizer create(int steps);
}
