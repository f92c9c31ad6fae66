package dev.kiln.runtime.optim;

import java.util.Objects;

/**
 * Optimizer steps for parameters that live on a device (module {@code kiln-opencl}, package {@code
 * dev.kiln.opencl}): the optimizer keeps its schedule, step count and settings here, and hands
 * each range of the parameter array to the device with the rule's constants, which the device's
 * update kernel applies with the same arithmetic as the Java loop.
 */
public final class DeviceSteps {
  private DeviceSteps() {}

  /** Receives one range's update. */
  @FunctionalInterface
  public interface Target {
    /**
     * Update {@code [from, to)} with rule {@code rule} ({@code Sgd}, {@code Momentum}, {@code
     * RmsProp}, {@code Adam}) at rate {@code lr} and L2 decay {@code decay}; {@code constants}
     * are Momentum's {@code mu, nesterov}, RMSProp's {@code rho, 1 - rho, epsilon}, or Adam's
     * {@code beta1, 1 - beta1, beta2, 1 - beta2, 1 / (1 - beta1^t), 1 / (1 - beta2^t), epsilon}.
     */
    void update(String rule, int from, int to, float lr, float decay, float[] constants);
  }

  /**
   * Takes one step of {@code optimizer} over {@code parameterCount} parameters on a device.
   *
   * @throws IllegalArgumentException for an optimizer that is not one of Kiln's own
   */
  public static void step(Optimizer optimizer, int parameterCount, Target target) {
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(target, "target");
    if (!(optimizer instanceof FlatOptimizer flat)) {
      throw new IllegalArgumentException(
          "only Kiln's optimizers (Sgd, Momentum, RmsProp, Adam) run on a device, got "
              + optimizer.getClass().getName());
    }
    flat.stepOn(parameterCount, target);
  }
}
