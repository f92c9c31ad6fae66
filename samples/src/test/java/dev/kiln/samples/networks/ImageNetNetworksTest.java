package dev.kiln.samples.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The ImageNet networks compile with their published parameter counts (nothing is allocated). */
class ImageNetNetworksTest {

  @Test
  void alexNetHasTorchvisionsParameterCount() {
    assertEquals(61_100_840, AlexNetModel.PARAMETER_COUNT);
    assertEquals(224 * 224 * 3, AlexNetModel.INPUT_SIZE);
    assertEquals(1000, AlexNetModel.OUTPUT_SIZE);
  }

  @Test
  void vgg16HasThePapersParameterCount() {
    assertEquals(138_357_544, Vgg16Model.PARAMETER_COUNT);
    assertEquals(1000, Vgg16Model.OUTPUT_SIZE);
  }

  @Test
  void resNet18HasTorchvisionsParameterCount() {
    assertEquals(11_689_512, ResNet18Model.PARAMETER_COUNT);
    assertEquals(1000, ResNet18Model.OUTPUT_SIZE);
  }
}
