package dev.kiln.samples.networks;

import dev.kiln.annotations.Dense;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Sigmoid;
import dev.kiln.runtime.Layer;

/**
 * The lecture's XOR networks: one hidden layer learns XOR; nine hidden Sigmoid layers do not
 * (their gradients vanish), and the same depth with ReLU does.
 */
final class XorNetworks {
  private XorNetworks() {}

  /**
   * Two layers: 2 -> 10 -> 1, Sigmoid. The lecture's "wide" XOR network: with only 2 hidden units
   * gradient descent often stalls in a local minimum (seeds 1, 3 and 4 here), with 10 it does not.
   */
  @Network(input = @Shape(height = 1, width = 1, channels = 2))
  abstract static class XorShallow {
    @Dense(units = 10) @Sigmoid Layer hidden;
    @Dense(units = 1) @Sigmoid Layer output;
  }

  /** Nine hidden Sigmoid layers of 5: the vanishing-gradient network. */
  @Network(input = @Shape(height = 1, width = 1, channels = 2))
  @SuppressWarnings("kiln:sigmoid-stack") // the point of this network
  abstract static class XorDeepSigmoid {
    @Dense(units = 5) @Sigmoid Layer h1;
    @Dense(units = 5) @Sigmoid Layer h2;
    @Dense(units = 5) @Sigmoid Layer h3;
    @Dense(units = 5) @Sigmoid Layer h4;
    @Dense(units = 5) @Sigmoid Layer h5;
    @Dense(units = 5) @Sigmoid Layer h6;
    @Dense(units = 5) @Sigmoid Layer h7;
    @Dense(units = 5) @Sigmoid Layer h8;
    @Dense(units = 5) @Sigmoid Layer h9;
    @Dense(units = 1) @Sigmoid Layer output;
  }

  /** The same depth with ReLU hidden layers, He-initialized as ReLU layers should be. */
  @Network(input = @Shape(height = 1, width = 1, channels = 2))
  abstract static class XorDeepRelu {
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h1;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h2;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h3;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h4;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h5;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h6;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h7;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h8;
    @Dense(units = 5, init = Init.HE_UNIFORM) @ReLU Layer h9;
    @Dense(units = 1) @Sigmoid Layer output;
  }
}
