package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.train.TrainingListener.BatchProgress;
import org.junit.jupiter.api.Test;

/**
 * The progress bar's status stays short, so that on an 80-column terminal the bar itself keeps
 * room: "epoch 10/10 100% [" + bar + "] 938/938 (0:01:02) " + status must leave it 10 columns or
 * more with the widest numbers, 12 with usual ones (it had 3 beside the ETA and a 39-character
 * status).
 */
class TrainingProgressTest {
  @Test
  void theStatusLeavesTheBarRoomOnEightyColumns() {
    BatchProgress worst = new BatchProgress(10, 10, 938, 938, 60_000, 12.3456, 0.99999, 123_456.7, 3e-3);
    String status = TrainingProgress.status(worst);
    assertEquals("loss 12.346 100.0% 123.5k img/s", status);
    String rest = "epoch 10/10 100% [] 938/938 (0:01:02) " + status;
    assertTrue(80 - rest.length() >= 10, rest.length() + " columns besides the bar: " + rest);
    String usual = "epoch 1/10 42% [] 394/938 (0:00:03) "
        + TrainingProgress.status(new BatchProgress(1, 10, 394, 938, 25_216, 0.1234, 0.9712, 9_876, 1e-3));
    assertTrue(80 - usual.length() >= 12, usual.length() + " columns besides the bar: " + usual);
  }

  @Test
  void slowSpeedsAndUnlabeledDataReadPlainly() {
    BatchProgress p = new BatchProgress(1, 1, 1, 10, 64, 0.5, Double.NaN, 812.4, 1e-3);
    assertEquals("loss 0.500 812 img/s", TrainingProgress.status(p));
  }
}
