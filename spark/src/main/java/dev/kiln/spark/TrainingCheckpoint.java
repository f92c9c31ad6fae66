package dev.kiln.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a distributed training run saves after each epoch, in {@code DIR/epoch-NNNN/}: the network
 * as a safetensors checkpoint ({@code network.safetensors}, which {@code ./kiln show} and {@link
 * KilnClassifier#load(String, String, org.apache.spark.sql.SparkSession)} read) and the optimizer's
 * step count and state ({@code optimizer.bin}). The directory is written under a hidden name and
 * renamed when complete, so a job killed while saving leaves the previous epoch's as the latest.
 */
record TrainingCheckpoint(int epoch, KilnNetwork network, int steps, float[][] optimizerState) {
  static final String NETWORK = "network.safetensors";
  static final String OPTIMIZER = "optimizer.bin";
  private static final long MAGIC = 0x4b494c4e4f505431L; // "KILNOPT1"

  static String name(int epoch) {
    return String.format("epoch-%04d", epoch);
  }

  void save(String directory, Configuration hadoop) throws IOException {
    FileSystem fs = HadoopFiles.fileSystem(directory, hadoop);
    Path target = new Path(directory, name(epoch));
    Path aside = HadoopFiles.temporarySibling(target);
    fs.mkdirs(aside);
    network.save(
        new Path(aside, NETWORK).toString(),
        Map.of("epoch", String.valueOf(epoch), "optimizer_steps", String.valueOf(steps)), hadoop);
    try (OutputStream raw = fs.create(new Path(aside, OPTIMIZER), false);
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw))) {
      out.writeLong(MAGIC);
      out.writeInt(steps);
      out.writeInt(optimizerState.length);
      out.writeInt(optimizerState.length == 0 ? 0 : optimizerState[0].length);
      for (float[] values : optimizerState) {
        for (float v : values) {
          out.writeFloat(v);
        }
      }
    }
    HadoopFiles.commit(fs, aside, target);
    // Only the latest epoch is kept.
    for (FileStatus old : fs.listStatus(new Path(directory), p -> p.getName().startsWith("epoch-"))) {
      if (!old.getPath().getName().equals(target.getName())) {
        fs.delete(old.getPath(), true);
      }
    }
  }

  /**
   * The latest epoch saved in {@code directory}, or null if it has none (or does not exist yet).
   *
   * @throws IOException if it cannot be read, or holds a checkpoint of another network
   */
  static TrainingCheckpoint latest(String directory, String modelClass, Configuration hadoop)
      throws IOException {
    FileSystem fs = HadoopFiles.fileSystem(directory, hadoop);
    Path dir = new Path(directory);
    if (!fs.exists(dir)) {
      return null;
    }
    int epoch = 0;
    for (FileStatus status : fs.listStatus(dir, p -> p.getName().matches("epoch-\\d{4,}"))) {
      epoch = Math.max(epoch, Integer.parseInt(status.getPath().getName().substring(6)));
    }
    if (epoch == 0) {
      return null;
    }
    Path saved = new Path(dir, name(epoch));
    KilnNetwork network = KilnNetwork.load(modelClass, new Path(saved, NETWORK).toString(), hadoop);
    Path optimizer = new Path(saved, OPTIMIZER);
    try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(fs.open(optimizer)))) {
      if (in.readLong() != MAGIC) {
        throw new IOException(optimizer + " is not a Kiln optimizer state");
      }
      int steps = in.readInt();
      int kinds = in.readInt();
      int count = in.readInt();
      if (steps < 0 || kinds < 0 || kinds > 8 || (kinds > 0 && count != network.parameterCount())) {
        throw new IOException(
            optimizer + " holds " + kinds + " arrays of " + count + " floats after " + steps
                + " steps, but the network has " + network.parameterCount() + " parameters");
      }
      float[][] state = new float[kinds][count];
      for (float[] values : state) {
        for (int i = 0; i < count; i++) {
          values[i] = in.readFloat();
        }
      }
      return new TrainingCheckpoint(epoch, network, steps, state);
    } catch (java.io.EOFException e) {
      throw new IOException(optimizer + " is truncated", e);
    }
  }
}
