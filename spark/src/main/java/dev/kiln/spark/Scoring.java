package dev.kiln.spark;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.train.Trainer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One task's scoring: builds one model from the broadcast parameters and runs the partition's rows
 * through {@link Model#predictBatch} in mini-batches, each output row being the input row with the
 * probabilities and the predicted class (and, when rejecting, the reason) appended.
 */
final class Scoring implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<KilnNetwork> network;
  private final int inputIndex;
  private final String inputName;
  private final int batchSize;
  private final int threads;
  private final boolean reject;

  Scoring(
      Broadcast<KilnNetwork> network, int inputIndex, String inputName, int batchSize, int threads,
      boolean reject) {
    this.network = network;
    this.inputIndex = inputIndex;
    this.inputName = inputName;
    this.batchSize = batchSize;
    this.threads = threads;
    this.reject = reject;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    TaskContext task = TaskContext.get();
    return new Batches(rows, network.value().model(), task == null ? 0 : task.partitionId());
  }

  /**
   * Why a row cannot be scored by {@code model} (its length, a null, a NaN or infinite value), or
   * null after copying its values into {@code into[at..]}.
   */
  static String read(Object value, Model model, String column, float[] into, int at) {
    int size = model.inputSize();
    String expected = model.name() + " takes " + size + " (" + model.inputShape() + ", NHWC)";
    if (value == null) {
      return "'" + column + "' is null; " + expected;
    }
    if (value instanceof byte[] bytes) {
      if (bytes.length != size) {
        return "'" + column + "' holds " + bytes.length + " bytes; " + expected;
      }
      for (int k = 0; k < size; k++) {
        into[at + k] = (bytes[k] & 0xff) / 255f; // as Kiln's IDX loader scales pixels
      }
      return null;
    }
    List<?> floats = value instanceof List<?> list ? list : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) value);
    if (floats.size() != size) {
      return "'" + column + "' holds " + floats.size() + " floats; " + expected;
    }
    int k = 0;
    for (Object element : floats) {
      if (element == null) {
        return "'" + column + "' has a null at index " + k + "; " + expected;
      }
      float f = (Float) element;
      if (!Float.isFinite(f)) {
        return "'" + column + "' has " + f + " at index " + k + " (" + model.inputShape()
            + ", NHWC); only finite values can be scored";
      }
      into[at + k++] = f;
    }
    return null;
  }

  /** The partition's rows, a mini-batch at a time. */
  private final class Batches implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final Model model;
    private final int partition;
    private final int outputs;
    private final Row[] pending = new Row[batchSize];
    /** Per pending row: its sample in the batch, or -1 when rejected. */
    private final int[] sample = new int[batchSize];
    private final String[] rejections = new String[batchSize];
    private final float[] inputs;
    private float[] probabilities = new float[0];
    /** The position in the partition of the next row read, from 0. */
    private long position;
    private int count;
    private int next;

    Batches(Iterator<Row> rows, Model model, int partition) {
      this.rows = rows;
      this.model = model;
      this.partition = partition;
      this.outputs = model.outputSize();
      this.inputs = new float[batchSize * model.inputSize()];
    }

    @Override
    public boolean hasNext() {
      if (next == count) {
        fill();
      }
      return next < count;
    }

    private void fill() {
      count = 0;
      next = 0;
      int valid = 0;
      while (count < batchSize && rows.hasNext()) {
        Row row = rows.next();
        String problem =
            read(row.get(inputIndex), model, inputName, inputs, valid * model.inputSize());
        if (problem != null && !reject) {
          throw new IllegalArgumentException(
              "partition " + partition + ", row " + position + " (counted from 0): " + problem);
        }
        pending[count] = row;
        rejections[count] = problem;
        sample[count] = problem == null ? valid++ : -1;
        position++;
        count++;
      }
      if (valid > 0) {
        float[] batch = valid == batchSize ? inputs : Arrays.copyOf(inputs, valid * model.inputSize());
        if (probabilities.length != valid * outputs) {
          probabilities = new float[valid * outputs];
        }
        model.predictBatch(batch, probabilities, threads);
      }
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int i = next++;
      Row row = pending[i];
      pending[i] = null;
      int width = row.length();
      Object[] values = new Object[width + (reject ? 3 : 2)];
      for (int c = 0; c < width; c++) {
        values[c] = row.get(c);
      }
      int s = sample[i];
      if (s >= 0) {
        double[] p = new double[outputs];
        for (int k = 0; k < outputs; k++) {
          p[k] = probabilities[s * outputs + k];
        }
        values[width] = Vectors.dense(p);
        values[width + 1] = (double) Trainer.predictedClass(probabilities, s * outputs, outputs);
      }
      if (reject) {
        values[width + 2] = rejections[i];
      }
      return RowFactory.create(values);
    }
  }
}
