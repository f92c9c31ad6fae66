package dev.kiln.benchmarks;

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
 * Whole models through their public API: {@code predict} (I1's call, one thread), {@code
 * predictBatch} of 256 samples on 2 threads (I256's call) and {@code trainSample}, one sample's
 * forward and backward pass (a training step without the optimizer, one thread).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ModelBenchmark {
  @Param({"LENET", "SEEDCNN"})
  public String workload;

  Model model;
  float[] input;
  float[] output;
  float[] inputs;
  float[] outputs;
  float[] target;
  float[] gradients;
  float[] workspace;
  long noise;

  @Setup
  public void setUp() {
    model = NetworkCalls.of(workload).create(1);
    SplittableRandom random = new SplittableRandom(2);
    input = new float[model.inputSize()];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble();
    }
    output = new float[model.outputSize()];
    inputs = new float[256 * model.inputSize()];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = (float) random.nextDouble();
    }
    outputs = new float[256 * model.outputSize()];
    target = new float[model.outputSize()];
    target[3] = 1;
    gradients = new float[model.parameterCount()];
    workspace = new float[model.trainingWorkspaceSize()];
  }

  @Benchmark
  public float[] predict() {
    model.predict(input, output);
    return output;
  }

  @Benchmark
  public float[] predictBatch256() {
    model.predictBatch(inputs, outputs, 2);
    return outputs;
  }

  @Benchmark
  public float trainSample() {
    return model.trainSample(input, 0, target, 0, output, 0, gradients, workspace, noise++);
  }
}
