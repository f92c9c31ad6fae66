package dev.kiln.samples;

import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.Dropout;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * The lecture's famous ImageNet networks at their input sizes, declared to compile and to print
 * their summaries; they are far too large to train on this project's machines.
 */
final class FamousNetworks {
  private FamousNetworks() {}

  /**
   * AlexNet as torchvision ships it (the one-tower variant of "One weird trick", Krizhevsky
   * 2014): 224x224x3 input, 64-192-384-256-256 filters, no local response normalization, 61,100,840
   * parameters. The paper's two-tower original (grouped convolutions, 96 first-layer filters on
   * 227x227, 60,965,224 parameters) needs grouped convolutions, which Kiln does not declare.
   */
  @Network(input = @Shape(height = 224, width = 224, channels = 3))
  abstract static class AlexNet {
    // (224 + 2·2 - 11) / 4 = 54.25: the last row and column are never read, in torchvision too.
    @SuppressWarnings("kiln:stride-drops-input")
    @Conv2D(filters = 64, kernel = 11, stride = 4, pad = 2) @ReLU Layer conv1; // 55x55x64
    @MaxPool(size = 3, stride = 2) Layer pool1; //                                  27x27x64
    @Conv2D(filters = 192, kernel = 5, pad = 2) @ReLU Layer conv2; //                27x27x192
    @MaxPool(size = 3, stride = 2) Layer pool2; //                                  13x13x192
    @Conv2D(filters = 384, kernel = 3, pad = 1) @ReLU Layer conv3;
    @Conv2D(filters = 256, kernel = 3, pad = 1) @ReLU Layer conv4;
    @Conv2D(filters = 256, kernel = 3, pad = 1) @ReLU Layer conv5; //                13x13x256
    @MaxPool(size = 3, stride = 2) Layer pool5; //                                  6x6x256
    @Dropout(rate = 0.5) Layer drop6;
    @Dense(units = 4096) @ReLU Layer fc6;
    @Dropout(rate = 0.5) Layer drop7;
    @Dense(units = 4096) @ReLU Layer fc7;
    @Dense(units = 1000) @Softmax Layer fc8;
  }

  /** VGG-16 (Simonyan and Zisserman 2014, configuration D): 138,357,544 parameters. */
  @Network(input = @Shape(height = 224, width = 224, channels = 3))
  abstract static class Vgg16 {
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer conv1_1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer conv1_2;
    @MaxPool(size = 2) Layer pool1; //                                            112x112x64
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME) @ReLU Layer conv2_1;
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME) @ReLU Layer conv2_2;
    @MaxPool(size = 2) Layer pool2; //                                            56x56x128
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME) @ReLU Layer conv3_1;
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME) @ReLU Layer conv3_2;
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME) @ReLU Layer conv3_3;
    @MaxPool(size = 2) Layer pool3; //                                            28x28x256
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv4_1;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv4_2;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv4_3;
    @MaxPool(size = 2) Layer pool4; //                                            14x14x512
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv5_1;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv5_2;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME) @ReLU Layer conv5_3;
    @MaxPool(size = 2) Layer pool5; //                                            7x7x512
    @Dense(units = 4096) @ReLU Layer fc6;
    @Dropout(rate = 0.5) Layer drop6;
    @Dense(units = 4096) @ReLU Layer fc7;
    @Dropout(rate = 0.5) Layer drop7;
    @Dense(units = 1000) @Softmax Layer fc8;
  }
}
