package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated OpenCL programs as text, with no OpenCL needed: every launch names a kernel the
 * program defines, every layer kernel is launched, kernels are named after their layers with the
 * shapes in a comment, and the backward pass runs from the last layer to the first.
 */
class OpenClEmitterTest {
  private static final Pattern KERNEL = Pattern.compile("__kernel void (\\w+)\\(");

  static List<GradientTest.Net> networks() {
    return OpenClParityTest.networks();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void launchesAndKernelsAgree(GradientTest.Net net) {
    String source = OpenClParityTest.program(net);
    assertNotNull(source, net + " has a program");
    Set<String> defined = new HashSet<>();
    Matcher m = KERNEL.matcher(source);
    while (m.find()) {
      assertTrue(defined.add(m.group(1)), net + ": kernel " + m.group(1) + " defined twice");
    }
    Set<String> launched = new HashSet<>();
    for (String line : source.split("\n")) {
      if (line.startsWith("//@ ") && line.split(" ").length == 5) {
        String kernel = line.split(" ")[2];
        assertTrue(defined.contains(kernel), net + ": " + line + " names no kernel");
        launched.add(kernel);
      }
    }
    for (String kernel : defined) {
      assertTrue(kernel.endsWith("_update") || launched.contains(kernel), net + ": " + kernel + " never runs");
    }
    assertTrue(source.contains("//@ kiln-opencl 2\n"), net + ": format line");
    assertTrue(launched.contains("loss"), net + ": the loss runs");
  }

  @Test
  void lenet5KernelsAreNamedAfterTheLayersWithTheirShapes() {
    GradientTest.Net lenet =
        networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();
    String source = OpenClParityTest.program(lenet);
    assertTrue(source.contains("// c1_forward: c1: Conv2D 5x5 stride 1 SAME (pad 2/2/2/2) + ReLU, 28x28x1 -> 28x28x6"), source);
    assertTrue(source.contains("// c1_forward: c1: Conv2D 5x5 stride 1 SAME (pad 2/2/2/2) + ReLU, 28x28x1 -> 28x28x6, weights HWIO [5, 5, 1, 6] at p[0], bias at p[150]; tiles of 8 neighbouring output pixels in the lanes of a float8 by all 6 filters"), source);
    assertTrue(source.contains("// c3_backward_input: the gradient of each input value, a work item per input pixel summing dot products along the 16 filters (6 channels x 2 float8 accumulators)"), source);
    // Inputs of a vector of channels or more take the turned kernel's tiles instead (c2: 32 -> 32).
    String wide = OpenClParityTest.program(
        networks().stream().filter(n -> n.name().equals("WinogradSized")).findFirst().orElseThrow());
    assertTrue(wide.contains("_backward_turn(ARGS)") && wide.contains("convolved with the turned kernel in register tiles"), wide);
    assertTrue(source.contains("__kernel void s2_backward_input(ARGS)"), source);
    assertTrue(source.contains("__kernel void c5_backward_kernel(ARGS)"), source);
    assertTrue(source.contains("__kernel void adam_update("), source);
    List<String> backward = new ArrayList<>();
    for (String line : source.split("\n")) {
      if (line.startsWith("//@ backward ")) {
        backward.add(line.split(" ")[2]);
      }
    }
    // Gradients with too few weights for a GPU are summed over parts of the batch, then in order.
    assertEquals(List.of("output_backward_kernel_parts", "output_backward_kernel"), backward.subList(0, 2));
    assertEquals("c1_backward_bias", backward.get(backward.size() - 1));
    assertTrue(source.contains("//@ backward c1_backward_kernel_parts t 320\n"), "64 parts of 5 tiles (one per kernel row)");
    assertTrue(source.contains("// summed over 64 parts of the batch, a work item per part and tile"), source);
    // c5 (dense, 400 -> 120): 40 tiles of 10 input rows by 15 blocks of 8 units, in 5 parts
    // (no more than 2^18 floats of parts).
    assertTrue(source.contains("//@ backward c5_backward_kernel_parts t 3000\n"), source);
    // The largest: f6's 10,080 weights in 26 parts.
    assertTrue(source.contains(" partials=262080\n"), "the partials buffer");
    // Each ReLU's derivative is applied by the layer that writes its output's gradient, as it
    // stores: no kernel of its own.
    assertTrue(backward.stream().noneMatch(k -> k.endsWith("_backward_activation")), backward.toString());
    assertTrue(source.contains("// s2_backward_input: the gradient of each input value through the input layer's ReLU derivative;"),
        source);
    assertTrue(source.contains("// f6_backward_input: the gradient of each input value through the input layer's ReLU derivative;"),
        source);
    assertTrue(!backward.contains("c1_backward_input"), "the first layer needs no input gradient");
  }

  /**
   * A layer's activation derivative is applied by the one layer that writes its output gradient,
   * as that layer stores it, on every input-gradient path that can; where none can (a merge reads
   * the output, or several layers do), it runs as a kernel of its own, first in its layer's
   * backward pass.
   */
  @Test
  void activationDerivativesAreAppliedByTheLayerThatWritesTheGradient() {
    Set<String> fused = new HashSet<>();
    int own = 0;
    for (GradientTest.Net net : networks()) {
      String source = OpenClParityTest.program(net);
      List<String> backward = new ArrayList<>();
      for (String line : source.split("\n")) {
        if (line.startsWith("//@ backward ")) {
          backward.add(line.split(" ")[2]);
        }
        if (line.startsWith("// ") && line.contains("_backward_input: the gradient of each input value through the input layer's")) {
          fused.add(line.contains("dot products") ? "dot products"
              : line.contains("turned kernel in tiles of 8 neighbouring") ? "turned, pixel lanes"
              : line.contains("turned kernel") ? "turned"
              : line.contains("gathering") ? "gathering"
              : line.contains("Pool") ? "pool"
              : line.contains("Dense") ? "dense" : line);
        }
      }
      for (int i = 0; i < backward.size(); i++) {
        String kernel = backward.get(i);
        if (kernel.endsWith("_backward_activation")) {
          own++;
          String layer = kernel.substring(0, kernel.length() - "_backward_activation".length());
          assertTrue(i == 0 || !backward.get(i - 1).startsWith(layer + "_backward"),
              net + ": " + kernel + " runs first in its layer's backward pass: " + backward);
        }
      }
    }
    assertTrue(own > 0, "some derivative keeps a kernel of its own (a merge reads its layer)");
    assertEquals(Set.of("dot products", "turned, pixel lanes", "turned", "gathering", "pool", "dense"), fused);
  }

  /**
   * At inference a 2x2 max pool of stride 2 runs inside the convolution before it, in both kinds
   * of tile, and its own kernel does not run there; training still runs both layers' kernels.
   */
  @Test
  void maxPoolsRunInsideTheConvolutionBeforeThemAtInference() {
    Set<String> tiles = new HashSet<>();
    for (GradientTest.Net net : networks()) {
      String source = OpenClParityTest.program(net);
      List<String> infer = new ArrayList<>();
      List<String> forward = new ArrayList<>();
      for (String line : source.split("\n")) {
        if (line.startsWith("//@ infer ")) {
          infer.add(line.split(" ")[2]);
        } else if (line.startsWith("//@ forward ")) {
          forward.add(line.split(" ")[2]);
        } else if (line.startsWith("// ") && line.contains("_infer: inference's ")) {
          tiles.add(line.contains("in the lanes of a float8") ? "pixel lanes" : "register tiles");
        }
      }
      for (String kernel : infer) {
        if (kernel.endsWith("_infer")) {
          String[] layers = kernel.substring(0, kernel.length() - "_infer".length()).split("_");
          String conv = layers[0];
          String pool = layers[layers.length - 1];
          assertTrue(forward.contains(conv + "_forward") && forward.contains(pool + "_forward"),
              net + ": training runs " + conv + " and " + pool + ": " + forward);
          assertTrue(!infer.contains(conv + "_forward") && !infer.contains(pool + "_forward"),
              net + ": inference runs " + kernel + " instead of " + conv + " and " + pool + ": " + infer);
        }
      }
    }
    assertEquals(Set.of("pixel lanes", "register tiles"), tiles);
    String lenet = OpenClParityTest.program(
        networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow());
    assertTrue(lenet.contains("//@ infer c1_s2_infer s 56\n") && lenet.contains("//@ infer c3_s4_infer s 5\n"), lenet);
    String pooled = OpenClParityTest.program(
        networks().stream().filter(n -> n.name().equals("PooledTiles")).findFirst().orElseThrow());
    // 8 pooled rows by 2 segments of 4 pooled pixels by 2 blocks of 16 filters.
    assertTrue(pooled.contains("//@ infer c1_p1_infer s 32\n"), pooled);
  }
}
