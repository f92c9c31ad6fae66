package dev.kiln.spark;

import dev.kiln.runtime.LabeledImages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Labelled images (MNIST as Kiln loads it) as a DataFrame of {@code id} (the image's index),
 * {@code label} and {@code features} ({@code array<float>}, NHWC), in {@code partitions} slices
 * of consecutive images: what the commands and the tests score and train on.
 */
public final class ImageFrames {
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("label", DataTypes.IntegerType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private ImageFrames() {}

  public static Dataset<Row> of(SparkSession spark, LabeledImages images, int partitions) {
    int size = images.shape().size();
    List<Row> rows = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      rows.add(
          RowFactory.create(
              (long) i, images.labels()[i],
              Arrays.copyOfRange(images.images(), i * size, (i + 1) * size)));
    }
    var rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions);
    return spark.createDataFrame(rdd, SCHEMA);
  }
}
