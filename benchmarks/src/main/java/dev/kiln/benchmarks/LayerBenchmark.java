package dev.kiln.benchmarks;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One generated layer's forward or backward pass for one sample, at the shapes of LENET and
 * SEEDCNN, on one thread: a change to one emitter shows here in isolation.
 *
 * <p>Inputs are uniform in [0, 1), output gradients in [-1, 1); the layer's output comes from its
 * own forward pass, so a ReLU's backward mask is the real one. Backward adds into the same
 * gradient array on every call (as a training step does).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LayerBenchmark {
  /** {@code WORKLOAD.layer}: the layer of that workload's network, by its field name. */
  @Param({
    "LENET.c1", "LENET.s2", "LENET.c3", "LENET.s4", "LENET.c5", "LENET.f6", "LENET.output",
    "SEEDCNN.c1", "SEEDCNN.p1", "SEEDCNN.c2", "SEEDCNN.p2", "SEEDCNN.output"
  })
  public String layer;

  NetworkCalls calls;
  int index;
  float[] p;
  float[] x;
  float[] y;
  float[] d;
  float[] dx;
  float[] g;

  @Setup
  public void setUp() {
    String[] parts = layer.split("\\.", 2);
    calls = NetworkCalls.of(parts[0]);
    Model model = calls.create(1);
    Layer l = model.layer(parts[1]);
    index = model.layers().indexOf(l);
    p = model.parameters();
    SplittableRandom random = new SplittableRandom(2);
    x = new float[l.inputShape().size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
    }
    y = new float[l.outputShape().size()];
    d = new float[y.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) random.nextDouble(-1, 1);
    }
    dx = new float[x.length];
    g = new float[p.length];
    calls.forward(index, p, x, y);
  }

  @Benchmark
  public float[] forward() {
    calls.forward(index, p, x, y);
    return y;
  }

  @Benchmark
  public float[] backward() {
    calls.backward(index, p, x, y, d, dx, g);
    return g;
  }
}
