package dev.kiln.samples.networks;

import dev.kiln.annotations.Add;
import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.Dropout;
import dev.kiln.annotations.From;
import dev.kiln.annotations.GlobalAvgPool;
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
final class ImageNetNetworks {
  private ImageNetNetworks() {}

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

  /**
   * ResNet-18 (He et al. 2015) as torchvision ships it: 11,689,512 parameters with its batch
   * norms' gammas and betas (their moving statistics are state, not parameters). Eight basic
   * blocks of two 3x3 convolutions without bias, each followed by a BatchNorm; the first block of
   * stages 2 to 4 halves the map with stride 2 and projects its shortcut with a strided 1x1
   * convolution. SAME padding gives torchvision's sizes (its pads are symmetric, TensorFlow puts
   * the odd row at the bottom); epsilon and momentum are torchvision's.
   */
  @Network(input = @Shape(height = 224, width = 224, channels = 3))
  abstract static class ResNet18 {
    @Conv2D(filters = 64, kernel = 7, stride = 2, padding = Padding.SAME, bias = false) Layer conv1; // 112x112x64
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer conv1Norm;
    @MaxPool(size = 3, stride = 2, padding = Padding.SAME) Layer pool1; //                 56x56x64
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, bias = false) @From("pool1") Layer layer1_1a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer1_1aNorm;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, bias = false) Layer layer1_1b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer1_1bNorm;
    @Add @From({"layer1_1bNorm", "pool1"}) @ReLU Layer layer1_1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, bias = false) @From("layer1_1") Layer layer1_2a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer1_2aNorm;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, bias = false) Layer layer1_2b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer1_2bNorm;
    @Add @From({"layer1_2bNorm", "layer1_1"}) @ReLU Layer layer1_2;
    @Conv2D(filters = 128, kernel = 3, stride = 2, padding = Padding.SAME, bias = false) @From("layer1_2") Layer layer2_1a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer2_1aNorm;
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME, bias = false) Layer layer2_1b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer2_1bNorm;
    @Conv2D(filters = 128, kernel = 1, stride = 2, bias = false) @From("layer1_2") Layer layer2_1down;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer2_1downNorm;
    @Add @From({"layer2_1bNorm", "layer2_1downNorm"}) @ReLU Layer layer2_1;
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME, bias = false) @From("layer2_1") Layer layer2_2a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer2_2aNorm;
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME, bias = false) Layer layer2_2b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer2_2bNorm;
    @Add @From({"layer2_2bNorm", "layer2_1"}) @ReLU Layer layer2_2;
    @Conv2D(filters = 256, kernel = 3, stride = 2, padding = Padding.SAME, bias = false) @From("layer2_2") Layer layer3_1a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer3_1aNorm;
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME, bias = false) Layer layer3_1b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer3_1bNorm;
    @Conv2D(filters = 256, kernel = 1, stride = 2, bias = false) @From("layer2_2") Layer layer3_1down;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer3_1downNorm;
    @Add @From({"layer3_1bNorm", "layer3_1downNorm"}) @ReLU Layer layer3_1;
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME, bias = false) @From("layer3_1") Layer layer3_2a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer3_2aNorm;
    @Conv2D(filters = 256, kernel = 3, padding = Padding.SAME, bias = false) Layer layer3_2b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer3_2bNorm;
    @Add @From({"layer3_2bNorm", "layer3_1"}) @ReLU Layer layer3_2;
    @Conv2D(filters = 512, kernel = 3, stride = 2, padding = Padding.SAME, bias = false) @From("layer3_2") Layer layer4_1a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer4_1aNorm;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME, bias = false) Layer layer4_1b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer4_1bNorm;
    @Conv2D(filters = 512, kernel = 1, stride = 2, bias = false) @From("layer3_2") Layer layer4_1down;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer4_1downNorm;
    @Add @From({"layer4_1bNorm", "layer4_1downNorm"}) @ReLU Layer layer4_1;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME, bias = false) @From("layer4_1") Layer layer4_2a;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) @ReLU Layer layer4_2aNorm;
    @Conv2D(filters = 512, kernel = 3, padding = Padding.SAME, bias = false) Layer layer4_2b;
    @BatchNorm(epsilon = 1e-5, momentum = 0.9) Layer layer4_2bNorm;
    @Add @From({"layer4_2bNorm", "layer4_1"}) @ReLU Layer layer4_2;
    @GlobalAvgPool Layer avgpool; //                                                       1x1x512
    @Dense(units = 1000) @Softmax Layer fc;
  }
}
