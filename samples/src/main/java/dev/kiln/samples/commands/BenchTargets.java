package dev.kiln.samples.commands;

import java.util.List;

/**
 * The yardstick of issue 6: Kiln's targets per workload and metric, and what other tools did on
 * this project's 2-core machine (medians, measured there, not by this program). {@code ./kiln
 * bench} prints them beside its own numbers.
 */
final class BenchTargets {
  private BenchTargets() {}

  /** The peers, short, in the order of the table. */
  static final List<String> PEERS =
      List.of("PyTorch", "PyTorch tuned", "ONNX Runtime", "TF Java", "DL4J", "DL4J oneDNN");

  /** What the short names stand for. */
  static final String PEER_LEGEND =
      "PyTorch 1.13 (Debian, reference BLAS); tuned: OpenBLAS, glibc malloc thresholds raised;"
          + " ONNX Runtime 1.24 (Java API, CPU); TensorFlow Java 2.18; Deeplearning4j 1.0.0-M2.1"
          + " (defaults, AVX-512 build; and with oneDNN helpers on)";

  /**
   * One cell row of the issue: {@code target} in the metric's unit (images/s, or µs per image for
   * I1), and the peers' numbers as the issue writes them ("—" where a peer was not measured).
   */
  record Row(BenchCommand.Workload workload, BenchCommand.Metric metric, double target, String targetNote, List<String> peers) {}

  static final List<Row> ROWS =
      List.of(
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.T1, 55_000, "2x tuned PyTorch",
              List.of("10,600", "27,500", "—", "—", "850", "3,640")),
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.I1, 14, "ONNX Runtime's; aiming at 7",
              List.of("94", "87", "14.3", "130", "490", "270")),
          new Row(BenchCommand.Workload.LENET, BenchCommand.Metric.I256, 190_000, "ONNX Runtime's",
              List.of("27,300", "79,800", "190,000", "98,600", "3,460", "38,400")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.T1, 11_000, "1.5x tuned PyTorch",
              List.of("6,050", "7,340", "—", "—", "406", "2,110")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.I1, 26, "ONNX Runtime's best",
              List.of("1,165", "115", "26–41", "198", "765", "304")),
          new Row(BenchCommand.Workload.SEEDCNN, BenchCommand.Metric.I256, 47_500, "ONNX Runtime's",
              List.of("5,680", "14,200", "47,500", "33,400", "1,570", "7,300")));

  static Row row(BenchCommand.Workload workload, BenchCommand.Metric metric) {
    for (Row row : ROWS) {
      if (row.workload() == workload && row.metric() == metric) {
        return row;
      }
    }
    throw new IllegalArgumentException("no reference for " + workload + " " + metric);
  }

  /** FP32 peak the issue measured with independent AVX-512 FMA chains (GFLOP/s; 1 and 2 cores). */
  static final double MEASURED_PEAK_ONE_CORE = 266;

  static final double MEASURED_PEAK_TWO_CORES = 523;
}
