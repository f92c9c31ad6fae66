package dev.kiln.spark;

import dev.kiln.runtime.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * Scores images with a Kiln network on Spark: a Spark ML {@link Transformer} that adds the
 * network's output as {@code probability} (an ML vector) and its highest class as {@code
 * prediction} (a double, as Spark's classifiers give it).
 *
 * <pre>{@code
 * KilnClassifier lenet = KilnClassifier.load(LeNet5Model.class.getName(), "lenet5.safetensors", spark);
 * Dataset<Row> scored = lenet.setInputCol("pixels").transform(images);
 * }</pre>
 *
 * <p>The input column holds one image per row, either {@code array<float>} in the network's NHWC
 * order ({@code inputSize()} floats) or {@code binary} bytes of that many pixels (grayscale or
 * interleaved RGB, each byte scaled by 1/255 as Kiln's MNIST loader does). The parameters are
 * broadcast once per {@code transform}; each task builds one model from them and scores its rows
 * in mini-batches of {@code batchSize} with {@link Model#predictBatch}, so a row's probabilities
 * are bit for bit those {@code predictBatch} gives in one JVM.
 *
 * <p>A row of the wrong length, with a null, NaN or infinite value fails the job with a message
 * naming its partition, its position there and the shape the network takes; with {@code
 * handleInvalid = "reject"} such rows instead get a null probability and prediction and the reason
 * in the {@code rejection} column, and the other rows are scored as usual.
 */
public final class KilnClassifier extends Transformer implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelClass;
  private final Param<String> inputCol;
  private final Param<String> probabilityCol;
  private final Param<String> predictionCol;
  private final Param<String> rejectionCol;
  private final Param<String> handleInvalid;
  private final IntParam batchSize;
  private final IntParam threads;
  /** The parameters; set after construction only by the reader. */
  private KilnNetwork network;

  private KilnClassifier(String uid, KilnNetwork network) {
    this.uid = uid;
    this.network = network;
    modelClass = new Param<>(this, "modelClass", "the generated model class, e.g. dev.kiln.samples.networks.LeNet5Model");
    inputCol = new Param<>(this, "inputCol", "the images: array<float> in NHWC order, or binary pixels");
    probabilityCol = new Param<>(this, "probabilityCol", "the network's outputs (an ML vector)");
    predictionCol = new Param<>(this, "predictionCol", "the class with the highest output (a double)");
    rejectionCol = new Param<>(this, "rejectionCol", "why a row was rejected (handleInvalid = reject), else null");
    handleInvalid = new Param<>(this, "handleInvalid", "what a bad row does: error (fail the job) or reject");
    batchSize = new IntParam(this, "batchSize", "rows per predictBatch call in a task");
    threads = new IntParam(this, "threads", "threads per task for predictBatch (a task has one core)");
    setDefault(inputCol, "features");
    setDefault(probabilityCol, "probability");
    setDefault(predictionCol, "prediction");
    setDefault(rejectionCol, "rejection");
    setDefault(handleInvalid, "error");
    setDefault(batchSize, 256);
    setDefault(threads, 1);
    if (network != null) {
      set(modelClass, network.modelClass());
    }
  }

  /** A classifier over these parameters. */
  public static KilnClassifier of(KilnNetwork network) {
    return new KilnClassifier(Identifiable$.MODULE$.randomUID("kiln"), network);
  }

  /**
   * A classifier over a {@code modelClass} network with the checkpoint at {@code checkpoint} (a
   * local path or a Hadoop URI). The checkpoint is read and checked against the class here, on the
   * driver: one of another network fails before any task runs.
   */
  public static KilnClassifier load(String modelClass, String checkpoint, SparkSession spark)
      throws IOException {
    return of(KilnNetwork.load(modelClass, checkpoint, spark.sparkContext().hadoopConfiguration()));
  }

  public KilnNetwork network() {
    return network;
  }

  public Param<String> modelClass() {
    return modelClass;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> rejectionCol() {
    return rejectionCol;
  }

  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public IntParam threads() {
    return threads;
  }

  public KilnClassifier setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public KilnClassifier setProbabilityCol(String value) {
    set(probabilityCol, value);
    return this;
  }

  public KilnClassifier setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public KilnClassifier setRejectionCol(String value) {
    set(rejectionCol, value);
    return this;
  }

  /** {@code "error"} (the default: a bad row fails the job) or {@code "reject"}. */
  public KilnClassifier setHandleInvalid(String value) {
    if (!value.equals("error") && !value.equals("reject")) {
      throw new IllegalArgumentException("handleInvalid must be error or reject, got '" + value + "'");
    }
    set(handleInvalid, value);
    return this;
  }

  public KilnClassifier setBatchSize(int value) {
    if (value < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + value);
    }
    set(batchSize, value);
    return this;
  }

  public KilnClassifier setThreads(int value) {
    if (value < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + value);
    }
    set(threads, value);
    return this;
  }

  private String string(Param<String> param) {
    return getOrDefault(param);
  }

  private int integer(IntParam param) {
    return (Integer) getOrDefault(param);
  }

  private boolean rejecting() {
    return string(handleInvalid).equals("reject");
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Model model = network.model();
    String input = string(inputCol);
    if (!Arrays.asList(schema.fieldNames()).contains(input)) {
      throw new IllegalArgumentException(
          "no input column '" + input + "' among " + Arrays.toString(schema.fieldNames())
              + " (setInputCol names it)");
    }
    DataType type = schema.apply(input).dataType();
    boolean floats =
        type instanceof ArrayType array && array.elementType().equals(DataTypes.FloatType);
    if (!floats && !type.equals(DataTypes.BinaryType)) {
      throw new IllegalArgumentException(
          "column '" + input + "' is " + type.simpleString() + "; " + model.name() + " takes"
              + " array<float> of " + model.inputSize() + " (" + model.inputShape() + ", NHWC) or"
              + " binary of " + model.inputSize() + " bytes");
    }
    StructType out = schema;
    for (Param<String> column :
        rejecting()
            ? Arrays.asList(probabilityCol, predictionCol, rejectionCol)
            : Arrays.asList(probabilityCol, predictionCol)) {
      if (Arrays.asList(schema.fieldNames()).contains(string(column))) {
        throw new IllegalArgumentException(
            "output column '" + string(column) + "' exists already (" + column.name() + " renames it)");
      }
    }
    out = out.add(new StructField(string(probabilityCol), SQLDataTypes.VectorType(), true, org.apache.spark.sql.types.Metadata.empty()));
    out = out.add(string(predictionCol), DataTypes.DoubleType, true);
    if (rejecting()) {
      out = out.add(string(rejectionCol), DataTypes.StringType, true);
    }
    return out;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    // Once per job: every task reads the parameters from its executor's copy.
    var parameters = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(network);
    Scoring scoring =
        new Scoring(
            parameters, dataset.schema().fieldIndex(string(inputCol)), string(inputCol),
            integer(batchSize), integer(threads), rejecting());
    return dataset.toDF().mapPartitions(scoring, Encoders.row(out));
  }

  @Override
  public KilnClassifier copy(ParamMap extra) {
    return copyValues(new KilnClassifier(uid, network), extra);
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** A reader for {@link #save}'s directories (Spark ML's {@code read()} convention). */
  public static MLReader<KilnClassifier> read() {
    return new Reader();
  }

  /** The classifier saved at {@code path} (by {@code write().save(path)}). */
  public static KilnClassifier load(String path) {
    return read().load(path);
  }

  /** Spark ML's metadata (the parameters' values) and the network as a safetensors checkpoint. */
  private static final class Writer extends MLWriter {
    private final KilnClassifier instance;

    Writer(KilnClassifier instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(instance, path, sparkSession());
      try {
        instance.network.save(
            path + "/network.safetensors", Map.of("saved_by", KilnClassifier.class.getName()),
            sparkSession().sparkContext().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final class Reader extends MLReader<KilnClassifier> {
    @Override
    public KilnClassifier load(String path) {
      DefaultParamsReader.Metadata metadata =
          DefaultParamsReader.loadMetadata(path, sparkSession(), KilnClassifier.class.getName());
      KilnClassifier classifier = new KilnClassifier(metadata.uid(), null);
      metadata.getAndSetParams(classifier, Option.empty());
      try {
        classifier.network =
            KilnNetwork.load(
                classifier.string(classifier.modelClass), path + "/network.safetensors",
                sparkSession().sparkContext().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return classifier;
    }
  }
}
