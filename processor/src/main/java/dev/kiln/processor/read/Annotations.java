package dev.kiln.processor.read;

import dev.kiln.annotations.Add;
import dev.kiln.annotations.AvgPool;
import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Concat;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.DepthwiseConv2D;
import dev.kiln.annotations.Dropout;
import dev.kiln.annotations.Flatten;
import dev.kiln.annotations.From;
import dev.kiln.annotations.LeakyReLU;
import dev.kiln.annotations.GlobalAvgPool;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.ReLU6;
import dev.kiln.annotations.Sigmoid;
import dev.kiln.annotations.Softmax;
import dev.kiln.annotations.Tanh;
import dev.kiln.processor.model.Activation;
import java.util.Map;
import java.util.Set;

/** The qualified names of Kiln's annotations, as the processor matches them. */
public final class Annotations {
  private Annotations() {}

  public static final String NETWORK = Network.class.getCanonicalName();
  public static final String CONV2D = Conv2D.class.getCanonicalName();
  public static final String DEPTHWISE_CONV2D = DepthwiseConv2D.class.getCanonicalName();
  public static final String MAX_POOL = MaxPool.class.getCanonicalName();
  public static final String AVG_POOL = AvgPool.class.getCanonicalName();
  public static final String GLOBAL_AVG_POOL = GlobalAvgPool.class.getCanonicalName();
  public static final String DENSE = Dense.class.getCanonicalName();
  public static final String FLATTEN = Flatten.class.getCanonicalName();
  public static final String DROPOUT = Dropout.class.getCanonicalName();
  public static final String BATCH_NORM = BatchNorm.class.getCanonicalName();
  public static final String ADD = Add.class.getCanonicalName();
  public static final String CONCAT = Concat.class.getCanonicalName();
  public static final String FROM = From.class.getCanonicalName();

  public static final Map<String, Activation.Kind> ACTIVATIONS =
      Map.of(
          ReLU.class.getCanonicalName(), Activation.Kind.RELU,
          ReLU6.class.getCanonicalName(), Activation.Kind.RELU6,
          LeakyReLU.class.getCanonicalName(), Activation.Kind.LEAKY_RELU,
          Sigmoid.class.getCanonicalName(), Activation.Kind.SIGMOID,
          Tanh.class.getCanonicalName(), Activation.Kind.TANH,
          Softmax.class.getCanonicalName(), Activation.Kind.SOFTMAX);

  public static final Set<String> LAYERS =
      Set.of(CONV2D, DEPTHWISE_CONV2D, MAX_POOL, AVG_POOL, GLOBAL_AVG_POOL, DENSE, FLATTEN, DROPOUT, BATCH_NORM, ADD, CONCAT);

  /** Every annotation that may only appear on a field of a {@code @Network} class. */
  public static boolean isFieldAnnotation(String name) {
    return LAYERS.contains(name) || ACTIVATIONS.containsKey(name) || name.equals(FROM);
  }
}
