package dev.kiln.samples.commands;

import java.util.Collections;
import java.util.List;

/**
 * The yardstick: Kiln's targets per workload and metric, and what the peers did on this
 * project's 2-core AVX2 machine (medians, measured there side by side with {@code
 * ../shared/peers/run.sh} and {@code ./kiln bench}, not by this program). {@code ./kiln bench}
 * prints them beside its own numbers; the ratios, not the absolute numbers, are what to compare,
 * since the machine's speed moves by up to 2 times from hour to hour.
 */
final class BenchTargets {
  private BenchTargets() {}

  /** The peers, short, in the order of the table. */
  static final List<String> PEERS = List.of("PyTorch 2.13", "PyTorch 1.13", "ONNX Runtime", "TensorFlow");

  /** Where the peers' numbers come from. */
  static final String PEERS_MEASURED =
      "measured on the AVX2 machine: PyTorch 1.13 and ONNX Runtime on 2026-12-07 beside commit 7fbedc2,"
          + " PyTorch 2.13 and TensorFlow at commit 77262c2 (PERFORMANCE.md)";

  /** What the short names stand for. */
  static final String PEER_LEGEND =
      "PyTorch 2.13 (wheel: MKL, oneDNN 3.12); PyTorch 1.13 (Debian, OpenBLAS, malloc tuned:"
          + " ../shared/peers); ONNX Runtime 1.24 (Java API, 2 threads); TensorFlow 2.21 / Keras 3";

  /** A row without peers' numbers. */
  static final List<String> NONE = Collections.nCopies(PEERS.size(), "—");

  /**
   * One row: {@code target} in the metric's unit (images/s, or µs per image for I1), and the
   * peers' numbers ("—" where a peer was not measured).
   */
  record Row(BenchCommand.Workload workload, BenchCommand.Metric metric, double target, String targetNote, List<String> peers) {}

  static final List<Row> ROWS =
      List.of(
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.T1, 2 * 10_907, "2x the best PyTorch",
              List.of("8,069", "10,907", "—", "2,569")),
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.I1, 0.5 * 68.6, "0.5x ONNX Runtime's",
              List.of("444", "254", "68.6", "750")),
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.I256, 73_120, "ONNX Runtime's",
              List.of("27,473", "36,243", "73,120", "9,617")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.T1, 1.5 * 2_882, "1.5x the best PyTorch",
              List.of("2,259", "2,882", "—", "1,921")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.I1, 63.2, "ONNX Runtime's",
              List.of("552", "292", "63.2", "979")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.I256, 18_736, "ONNX Runtime's",
              List.of("5,177", "6,081", "18,736", "7,755")),
          new Row(BenchCommand.Workload.RESNET18, BenchCommand.Metric.I1, 21_350, "ONNX Runtime's",
              List.of("—", "—", "21,350", "—")),
          new Row(BenchCommand.Workload.RESNET18, BenchCommand.Metric.I16, 49.9, "ONNX Runtime's",
              List.of("—", "—", "49.9", "—")));

  /** The row of a workload and metric, or null where there is no target. */
  static Row row(BenchCommand.Workload workload, BenchCommand.Metric metric) {
    for (Row row : ROWS) {
      if (row.workload() == workload && row.metric() == metric) {
        return row;
      }
    }
    return null;
  }
}
