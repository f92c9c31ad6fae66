package dev.kiln.spark;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;

/**
 * What an executor needs to rebuild a trained network: the generated model class's name, its flat
 * parameters and its state (a BatchNorm's moving statistics). This is what is broadcast, once per
 * job; each task builds its own model from it with {@link #model()}, since a model's scratch
 * memory belongs to the JVM it runs in.
 */
public final class KilnNetwork implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String modelClass;
  private final float[] parameters;
  private final float[] state;

  private KilnNetwork(String modelClass, float[] parameters, float[] state) {
    this.modelClass = modelClass;
    this.parameters = parameters;
    this.state = state;
  }

  /** A copy of {@code model}'s parameters and state. */
  public static KilnNetwork of(Model model) {
    return new KilnNetwork(
        model.getClass().getName(), model.parameters().clone(), model.state().clone());
  }

  /**
   * The checkpoint at {@code uri} (a local path or any URI Hadoop reads: {@code file:},
   * {@code hdfs:}, {@code s3a:} ...) loaded into a new {@code modelClass}. Runs on the driver, so
   * a checkpoint of another network fails here, before any task runs.
   *
   * @throws IOException if the file cannot be read or does not match the model class
   */
  public static KilnNetwork load(String modelClass, String uri, Configuration hadoop)
      throws IOException {
    Model model = instantiate(modelClass, 0);
    Path local = HadoopFiles.copyToLocal(uri, hadoop);
    try {
      Checkpoint.load(model, local);
    } catch (IOException e) {
      throw new IOException(uri + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(local);
    }
    return of(model);
  }

  /** Saves as a safetensors checkpoint at {@code uri}, atomically (written aside, then renamed). */
  public void save(String uri, Map<String, String> about, Configuration hadoop) throws IOException {
    Path local = Files.createTempFile("kiln-checkpoint", ".safetensors");
    try {
      Checkpoint.save(model(), local, about);
      HadoopFiles.copyFromLocal(local, uri, hadoop);
    } finally {
      Files.deleteIfExists(local);
    }
  }

  public String modelClass() {
    return modelClass;
  }

  /** Floats in the parameter array. */
  public int parameterCount() {
    return parameters.length;
  }

  /** The parameters (not a copy: callers must not write them). */
  float[] parameters() {
    return parameters;
  }

  float[] state() {
    return state;
  }

  /** A new model of this class with these parameters and state. */
  public Model model() {
    Model model = instantiate(modelClass, 0);
    System.arraycopy(parameters, 0, model.parameters(), 0, parameters.length);
    System.arraycopy(state, 0, model.state(), 0, state.length);
    return model;
  }

  /**
   * A new instance of a generated model class ({@code dev.kiln.samples.networks.LeNet5Model}) by
   * its static {@code create(long seed)}.
   *
   * @throws IllegalArgumentException if there is no such class, or it is not a Kiln model
   */
  public static Model instantiate(String modelClass, long seed) {
    Objects.requireNonNull(modelClass, "modelClass");
    Class<?> type;
    try {
      type = Class.forName(modelClass, true, Thread.currentThread().getContextClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "no class " + modelClass + " on the class path (a model class Kiln generated, e.g."
              + " dev.kiln.samples.networks.LeNet5Model)", e);
    }
    if (!Model.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException(modelClass + " is not a Kiln model (" + Model.class.getName() + ")");
    }
    try {
      return (Model) type.getMethod("create", long.class).invoke(null, seed);
    } catch (NoSuchMethodException | IllegalAccessException e) {
      throw new IllegalArgumentException(
          modelClass + " has no public static create(long seed), which Kiln generates", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(modelClass + ".create failed: " + e.getCause(), e.getCause());
    }
  }
}
