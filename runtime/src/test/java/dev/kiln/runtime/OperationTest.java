package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OperationTest {
  @Test
  void generatedCodeSpellsAnOperationAsAChainOfSettings() {
    Operation op =
        Operation.of(Operation.Kind.CONV_2D, Operation.INPUT)
            .window(5, 3, 2, 1, 2, 2, 1, 1)
            .activation(Operation.Activation.LEAKY_RELU, 0.1);
    assertEquals(
        new Operation(
            Operation.Kind.CONV_2D, List.of("@input"), new Operation.Window(5, 3, 2, 1, 2, 2, 1, 1),
            Operation.Activation.LEAKY_RELU, 0.1, 0),
        op);
    Operation norm = Operation.of(Operation.Kind.BATCH_NORM, "c1").epsilon(0.001);
    assertEquals(0.001, norm.epsilon());
    assertEquals(Operation.Activation.NONE, norm.activation());
    assertEquals(null, norm.window());
  }

  @Test
  void anOperationReadsAtLeastOneLayer() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Operation.of(Operation.Kind.ADD));
    assertEquals("ADD reads no layer", e.getMessage());
  }

  @Test
  void aLayerMadeByHandHasNoOperation() {
    Layer layer =
        new Layer("d", "Dense 3", TensorShape.vector(2), TensorShape.vector(3), 0, new int[] {2, 3}, 6, 3);
    assertTrue(layer.operation().isEmpty());
    Operation dense = Operation.of(Operation.Kind.DENSE, "x");
    Layer described =
        new Layer("d", "Dense 3", TensorShape.vector(2), TensorShape.vector(3), 0, new int[] {2, 3}, 6, 3, dense);
    assertEquals(dense, described.operation().orElseThrow());
  }
}
