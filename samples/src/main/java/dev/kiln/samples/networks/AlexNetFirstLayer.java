package dev.kiln.samples.networks;

import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.runtime.Layer;

/**
 * AlexNet's first layer as the lecture computes it: a 227×227×3 image, 96 filters of 11×11 at
 * stride 4, giving (227 - 11) / 4 + 1 = 55, so 55×55×96 with 34,944 parameters.
 */
@Network(input = @Shape(height = 227, width = 227, channels = 3))
public abstract class AlexNetFirstLayer {
  @Conv2D(filters = 96, kernel = 11, stride = 4) @ReLU Layer conv1;
}
