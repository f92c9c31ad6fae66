package dev.kiln.processor;

import dev.kiln.processor.Declaration.Act;
import dev.kiln.processor.Declaration.ActKind;
import dev.kiln.runtime.Loss;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference implementation generated models are checked against: every layer's forward and
 * backward pass, and the three losses, in double precision, written for clarity rather than
 * speed, following TensorFlow's semantics literally.
 *
 * <ul>
 *   <li>NHWC activations, HWIO convolution kernels {@code [kh, kw, in, out]}, {@code [in, out]}
 *       dense weights; parameters laid out layer by layer, weights then bias.
 *   <li>VALID: {@code out = floor((n - k) / s) + 1}. SAME: {@code out = ceil(n / s)}, total padding
 *       {@code max((out - 1) * s + k - n, 0)}, the smaller half on top/left. Explicit {@code pad =
 *       p}: p zeros on each side, {@code out = floor((n + 2p - k) / s) + 1}.
 *   <li>Pooling ignores padded cells (max over, and average over, the real cells only).
 *   <li>Dense flattens a spatial input in HWC order, which is the identity on NHWC memory.
 *   <li>Inverted dropout: a kept value is scaled by {@code 1 / (1 - rate)}; identity at inference.
 *   <li>The loss follows from the last layer's activation: Softmax gives softmax cross-entropy
 *       {@code -sum t log softmax(z)} and Sigmoid gives binary cross-entropy {@code mean(max(z, 0) -
 *       z t + log(1 + exp(-|z|)))}, both from the logits z; anything else the mean squared error of
 *       the output.
 *   <li>Max pooling sends a window's gradient to the first cell (in row-major window order) that
 *       holds the maximum.
 * </ul>
 *
 * <p>It knows nothing of the processor: shapes are inferred here from the declaration, with long
 * arithmetic, and it is only built for declarations the fuzzer made valid.
 */
final class Oracle {
  enum Kind {
    CONV,
    DEPTHWISE,
    MAX_POOL,
    AVG_POOL,
    DENSE,
    FLATTEN,
    DROPOUT,
    ACTIVATION,
    ADD,
    CONCAT
  }

  /** {@code flat}: a vector of {@code c} values. */
  record Shape(int h, int w, int c, boolean flat) {
    static Shape of(int h, int w, int c) {
      return new Shape(h, w, c, false);
    }

    static Shape vector(int n) {
      return new Shape(1, 1, n, true);
    }

    int size() {
      return h * w * c;
    }

    @Override
    public String toString() {
      return flat ? "[" + c + "]" : h + "x" + w + "x" + c;
    }
  }

  /** One layer, with its window resolved and its parameters placed. */
  static final class Layer {
    String name;
    Kind kind;
    Shape in;
    Shape out;
    boolean implicit;
    int kh, kw, sh, sw, top, bottom, left, right;
    /** Output channels of a convolution (a depthwise one's: in channels times multiplier). */
    int filters;
    /** A depthwise convolution's filters per input channel. */
    int multiplier;
    int units;
    boolean bias;
    double rate;
    /** The fused activation, or the activation of an ACTIVATION layer; null if none. */
    Act act;
    int weightOffset;
    int[] weightShape = new int[0];
    int weightCount;
    int biasOffset = -1;
    int biasCount;
    /** The layers it reads, by index; -1 is the network's input. */
    int[] sources;
    /** Their shapes. */
    Shape[] ins;

    @Override
    public String toString() {
      return name + " " + kind + " " + in + " -> " + out;
    }
  }

  final List<Layer> layers = new ArrayList<>();
  final Shape input;
  final int parameterCount;
  final Loss loss;

  private Oracle(Shape input, int parameterCount, Loss loss) {
    this.input = input;
    this.parameterCount = parameterCount;
    this.loss = loss;
  }

  Shape output() {
    return layers.get(layers.size() - 1).out;
  }

  /** The layers of a valid declaration; throws IllegalArgumentException if it is not valid. */
  static Oracle of(Declaration d) {
    List<Layer> layers = new ArrayList<>();
    Shape input = Shape.of(d.height, d.width, d.channels);
    Map<String, Integer> byName = new HashMap<>(); // a field's name: the index of its output layer
    int previous = -1;
    long offset = 0;
    for (Declaration.Field f : d.fields) {
      if (f.layers().size() > 1 || f.acts().size() > 1) {
        throw new IllegalArgumentException(f.name() + ": more than one layer or activation");
      }
      Declaration.Spec spec = f.layer();
      Act act = f.act();
      require(spec != null || act != null, f.name() + ": @From without a layer");
      boolean merge = spec instanceof Declaration.Merge;
      List<Integer> sources = new ArrayList<>();
      if (f.from().isEmpty()) {
        require(!merge, f.name() + ": a merge without @From");
        sources.add(previous);
      } else {
        for (String n : f.from()) {
          require(n.equals(Declaration.INPUT) || byName.containsKey(n), f.name() + ": reads " + n);
          sources.add(n.equals(Declaration.INPUT) ? -1 : byName.get(n));
        }
      }
      require(merge ? sources.size() >= 2 : sources.size() == 1, f.name() + ": number of inputs");
      Shape[] shapes = new Shape[sources.size()];
      for (int k = 0; k < shapes.length; k++) {
        shapes[k] = sources.get(k) < 0 ? input : layers.get(sources.get(k)).out;
      }
      Shape shape = shapes[0];
      Layer l = new Layer();
      l.name = f.name();
      l.in = shape;
      l.act = act;
      l.sources = sources.stream().mapToInt(Integer::intValue).toArray();
      l.ins = shapes;
      if (merge) {
        boolean add = ((Declaration.Merge) spec).add();
        l.kind = add ? Kind.ADD : Kind.CONCAT;
        int channels = 0;
        for (Shape other : shapes) {
          if (add) {
            require(other.equals(shape), f.name() + ": Add of different shapes");
          } else {
            require(other.flat() == shape.flat() && other.h() == shape.h() && other.w() == shape.w(),
                f.name() + ": Concat of different sizes");
          }
          channels += other.c();
        }
        l.out = add ? shape : shape.flat() ? Shape.vector(channels) : Shape.of(shape.h(), shape.w(), channels);
      } else if (spec == null) {
        l.kind = Kind.ACTIVATION;
        l.out = shape;
      } else if (spec instanceof Declaration.Conv c) {
        l.kind = Kind.CONV;
        l.filters = c.filters();
        l.bias = c.bias();
        window(l, c.kernel(), c.stride(), c.padding(), c.pad());
        l.out = Shape.of(l.out.h(), l.out.w(), c.filters());
      } else if (spec instanceof Declaration.Depthwise c) {
        l.kind = Kind.DEPTHWISE;
        l.multiplier = c.multiplier();
        l.bias = c.bias();
        window(l, c.kernel(), c.stride(), c.padding(), c.pad());
        l.filters = Math.multiplyExact(l.in.c(), c.multiplier());
        l.out = Shape.of(l.out.h(), l.out.w(), l.filters);
      } else if (spec instanceof Declaration.Pool p) {
        l.kind = p.max() ? Kind.MAX_POOL : Kind.AVG_POOL;
        window(l, p.size(), p.stride().length == 0 ? p.size() : p.stride(), p.padding(), new int[0]);
      } else if (spec instanceof Declaration.GlobalPool) {
        require(!shape.flat(), f.name() + ": GlobalAvgPool of a vector");
        l.kind = Kind.AVG_POOL;
        int[] whole = {shape.h(), shape.w()};
        window(l, whole, whole, Declaration.Padding.VALID, new int[0]);
      } else if (spec instanceof Declaration.Dense dense) {
        if (!shape.flat()) {
          Layer flatten = new Layer();
          flatten.name = f.name() + ".flatten";
          flatten.kind = Kind.FLATTEN;
          flatten.implicit = true;
          flatten.in = shape;
          flatten.out = Shape.vector(shape.size());
          flatten.sources = l.sources;
          flatten.ins = l.ins;
          layers.add(flatten);
          shape = flatten.out;
          l.in = shape;
          l.sources = new int[] {layers.size() - 1};
          l.ins = new Shape[] {shape};
        }
        l.kind = Kind.DENSE;
        l.units = dense.units();
        l.bias = dense.bias();
        l.out = Shape.vector(dense.units());
      } else if (spec instanceof Declaration.Flatten) {
        require(!shape.flat(), f.name() + ": Flatten of a vector");
        l.kind = Kind.FLATTEN;
        l.out = Shape.vector(shape.size());
      } else if (spec instanceof Declaration.Dropout drop) {
        require(drop.rate() >= 0 && drop.rate() < 1, f.name() + ": rate");
        l.kind = Kind.DROPOUT;
        l.rate = drop.rate();
        l.out = shape;
      }
      if (l.kind == Kind.CONV) {
        l.weightShape = new int[] {l.kh, l.kw, l.in.c(), l.filters};
      } else if (l.kind == Kind.DEPTHWISE) {
        l.weightShape = new int[] {l.kh, l.kw, l.in.c(), l.multiplier};
      } else if (l.kind == Kind.DENSE) {
        l.weightShape = new int[] {l.in.size(), l.units};
      }
      long weights = 1;
      for (int n : l.weightShape) {
        weights *= n;
      }
      l.weightCount = l.weightShape.length == 0 ? 0 : Math.toIntExact(weights);
      l.weightOffset = l.weightCount == 0 ? 0 : Math.toIntExact(offset);
      offset += l.weightCount;
      if (l.bias) {
        l.biasCount = l.kind == Kind.CONV || l.kind == Kind.DEPTHWISE ? l.filters : l.units;
        l.biasOffset = Math.toIntExact(offset);
        offset += l.biasCount;
      }
      if (act != null && act.kind() == ActKind.SOFTMAX) {
        require(l.out.flat() && f == d.fields.get(d.fields.size() - 1), f.name() + ": Softmax");
      }
      layers.add(l);
      previous = layers.size() - 1;
      byName.put(f.name(), previous);
    }
    require(!layers.isEmpty(), "no layers");
    Act last = layers.get(layers.size() - 1).act;
    Loss loss =
        last == null ? Loss.MEAN_SQUARED_ERROR
            : last.kind() == ActKind.SOFTMAX ? Loss.SOFTMAX_CROSS_ENTROPY
            : last.kind() == ActKind.SIGMOID ? Loss.SIGMOID_CROSS_ENTROPY
            : Loss.MEAN_SQUARED_ERROR;
    Oracle oracle = new Oracle(input, Math.toIntExact(offset), loss);
    oracle.layers.addAll(layers);
    return oracle;
  }

  /** TensorFlow's window arithmetic (in long, so absurd strides and pads are exact). */
  private static void window(Layer l, int[] kernel, int[] stride, Declaration.Padding padding, int[] pad) {
    require(kernel.length >= 1 && kernel.length <= 2 && stride.length >= 1 && stride.length <= 2,
        l.name + ": window");
    l.kh = kernel[0];
    l.kw = kernel[kernel.length - 1];
    l.sh = stride[0];
    l.sw = stride[stride.length - 1];
    require(l.kh > 0 && l.kw > 0 && l.sh > 0 && l.sw > 0, l.name + ": window values");
    require(!l.in.flat(), l.name + ": spatial input");
    long[] out = new long[2];
    int[] n = {l.in.h(), l.in.w()};
    int[] k = {l.kh, l.kw};
    int[] s = {l.sh, l.sw};
    int[] before = new int[2];
    int[] after = new int[2];
    for (int axis = 0; axis < 2; axis++) {
      if (pad.length > 0) {
        require(padding == Declaration.Padding.VALID, l.name + ": pad and SAME");
        int p = pad[Math.min(axis, pad.length - 1)];
        before[axis] = p;
        after[axis] = p;
        require((long) n[axis] + 2L * p >= k[axis], l.name + ": kernel larger than the padded input");
        out[axis] = ((long) n[axis] + 2L * p - k[axis]) / s[axis] + 1;
      } else if (padding == Declaration.Padding.SAME) {
        out[axis] = ((long) n[axis] + s[axis] - 1) / s[axis];
        long total = Math.max((out[axis] - 1) * s[axis] + k[axis] - n[axis], 0);
        before[axis] = (int) (total / 2);
        after[axis] = (int) (total - total / 2);
      } else {
        require(n[axis] >= k[axis], l.name + ": kernel larger than the input");
        out[axis] = ((long) n[axis] - k[axis]) / s[axis] + 1;
      }
    }
    for (int axis = 0; axis < 2; axis++) {
      // Kiln's own limit, not TensorFlow's: window positions are ints in generated code.
      require((long) n[axis] + before[axis] + after[axis] <= Integer.MAX_VALUE, l.name + ": padded input beyond an int");
    }
    l.top = before[0];
    l.bottom = after[0];
    l.left = before[1];
    l.right = after[1];
    l.out = Shape.of(Math.toIntExact(out[0]), Math.toIntExact(out[1]), l.in.c());
  }

  private static void require(boolean condition, String what) {
    if (!condition) {
      throw new IllegalArgumentException("not a valid declaration: " + what);
    }
  }

  // ---------------------------------------------------------------- forward

  /**
   * One sample's pass: {@code pre[i]} is layer i's output before its activation, {@code post[i]}
   * after it (the next layer's input). The smallest distance of a ReLU input from its kink, or of
   * a max-pool maximum from the runner-up, is kept in {@code margin}: where it is tiny, float and
   * double may take different branches and the gradients legitimately differ.
   */
  final class Trace {
    final double[] x;
    final double[][] pre = new double[layers.size()][];
    final double[][] post = new double[layers.size()][];
    final double[][] masks;
    double margin = Double.POSITIVE_INFINITY;

    Trace(double[] x, double[][] masks) {
      this.x = x;
      this.masks = masks;
    }

    /** Layer i's k-th input. */
    double[] input(int i, int k) {
      int source = layers.get(i).sources[k];
      return source < 0 ? x : post[source];
    }

    double[] input(int i) {
      return input(i, 0);
    }

    double[] output() {
      return post[layers.size() - 1];
    }
  }

  /** Inference: dropout is the identity. */
  double[] predict(float[] p, float[] x) {
    return forward(p, x, null).output();
  }

  /**
   * Runs the layers; {@code masks[i]} (training) holds layer i's dropout multipliers (0 or {@code
   * 1 / (1 - rate)}), null for inference.
   */
  Trace forward(float[] p, float[] x, double[][] masks) {
    double[] in = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      in[i] = x[i];
    }
    Trace t = new Trace(in, masks);
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      double[] input = t.input(i);
      double[] z =
          switch (l.kind) {
            case CONV -> conv(l, p, input);
            case DEPTHWISE -> depthwise(l, p, input);
            case MAX_POOL, AVG_POOL -> pool(l, input, t);
            case DENSE -> dense(l, p, input);
            case FLATTEN, ACTIVATION -> input.clone();
            case DROPOUT -> dropout(input, masks == null ? null : masks[i]);
            case ADD -> add(l, t, i);
            case CONCAT -> concat(l, t, i);
          };
      t.pre[i] = z;
      t.post[i] = l.act == null ? z : activate(l.act, z, t);
    }
    return t;
  }

  double[] add(Layer l, Trace t, int i) {
    double[] y = new double[l.out.size()];
    for (int k = 0; k < l.sources.length; k++) {
      double[] in = t.input(i, k);
      for (int j = 0; j < y.length; j++) {
        y[j] += in[j];
      }
    }
    return y;
  }

  /** Channels side by side per pixel, in the order of the sources. */
  double[] concat(Layer l, Trace t, int i) {
    double[] y = new double[l.out.size()];
    int pixels = l.out.size() / l.out.c();
    int at = 0;
    for (int k = 0; k < l.sources.length; k++) {
      double[] in = t.input(i, k);
      int c = l.ins[k].c();
      for (int px = 0; px < pixels; px++) {
        for (int j = 0; j < c; j++) {
          y[px * l.out.c() + at + j] = in[px * c + j];
        }
      }
      at += c;
    }
    return y;
  }

  static double[] conv(Layer l, float[] p, double[] x) {
    Shape in = l.in;
    Shape out = l.out;
    double[] y = new double[out.size()];
    for (int oh = 0; oh < out.h(); oh++) {
      for (int ow = 0; ow < out.w(); ow++) {
        for (int f = 0; f < l.filters; f++) {
          double sum = l.bias ? p[l.biasOffset + f] : 0;
          for (int a = 0; a < l.kh; a++) {
            for (int b = 0; b < l.kw; b++) {
              long r = (long) oh * l.sh - l.top + a;
              long s = (long) ow * l.sw - l.left + b;
              if (r < 0 || r >= in.h() || s < 0 || s >= in.w()) {
                continue; // a zero of the padding
              }
              for (int c = 0; c < in.c(); c++) {
                sum += x[(int) ((r * in.w() + s) * in.c() + c)] * p[kernelIndex(l, a, b, c, f)];
              }
            }
          }
          y[(oh * out.w() + ow) * out.c() + f] = sum;
        }
      }
    }
    return y;
  }

  static int kernelIndex(Layer l, int a, int b, int c, int f) {
    return l.weightOffset + ((a * l.kw + b) * l.in.c() + c) * l.filters + f;
  }

  /** The real input cells of output pixel (oh, ow)'s window, as flat pixel indices (no channel). */
  static List<Integer> cells(Layer l, int oh, int ow) {
    // The window covers padded rows [r0, r0 + kh) and columns [s0, s0 + kw); the real cells are
    // those inside the input, in row-major window order. (A SAME pooling window may be as large
    // as Integer.MAX_VALUE, so the loops run over the input, not over the window.)
    long r0 = (long) oh * l.sh - l.top;
    long s0 = (long) ow * l.sw - l.left;
    List<Integer> cells = new ArrayList<>();
    for (long r = Math.max(0, r0); r < Math.min(l.in.h(), r0 + l.kh); r++) {
      for (long s = Math.max(0, s0); s < Math.min(l.in.w(), s0 + l.kw); s++) {
        cells.add((int) (r * l.in.w() + s));
      }
    }
    return cells;
  }

  double[] pool(Layer l, double[] x, Trace t) {
    Shape out = l.out;
    int channels = l.in.c();
    double[] y = new double[out.size()];
    for (int oh = 0; oh < out.h(); oh++) {
      for (int ow = 0; ow < out.w(); ow++) {
        List<Integer> cells = cells(l, oh, ow);
        for (int c = 0; c < channels; c++) {
          double max = Double.NEGATIVE_INFINITY;
          double second = Double.NEGATIVE_INFINITY;
          double sum = 0;
          for (int cell : cells) {
            double v = x[cell * channels + c];
            sum += v;
            if (v > max) {
              second = max;
              max = v;
            } else if (v < max && v > second) {
              second = v;
            }
          }
          if (l.kind == Kind.MAX_POOL && second > Double.NEGATIVE_INFINITY) {
            t.margin = Math.min(t.margin, max - second);
          }
          y[(oh * out.w() + ow) * channels + c] = l.kind == Kind.MAX_POOL ? max : sum / cells.size();
        }
      }
    }
    return y;
  }

  static double[] dense(Layer l, float[] p, double[] x) {
    double[] y = new double[l.units];
    for (int o = 0; o < l.units; o++) {
      double sum = l.bias ? p[l.biasOffset + o] : 0;
      for (int i = 0; i < x.length; i++) {
        sum += x[i] * p[l.weightOffset + i * l.units + o];
      }
      y[o] = sum;
    }
    return y;
  }

  static double[] dropout(double[] x, double[] mask) {
    double[] y = x.clone();
    if (mask != null) {
      for (int i = 0; i < y.length; i++) {
        y[i] *= mask[i];
      }
    }
    return y;
  }

  static double[] activate(Act act, double[] z, Trace t) {
    double[] y = new double[z.length];
    switch (act.kind()) {
      case RELU, LEAKY_RELU -> {
        double slope = act.kind() == ActKind.RELU ? 0 : act.alpha();
        for (int i = 0; i < z.length; i++) {
          y[i] = z[i] > 0 ? z[i] : slope * z[i];
          if (z[i] != 0 && t != null) {
            t.margin = Math.min(t.margin, Math.abs(z[i]));
          }
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < z.length; i++) {
          y[i] = 1 / (1 + Math.exp(-z[i]));
        }
      }
      case TANH -> {
        for (int i = 0; i < z.length; i++) {
          y[i] = Math.tanh(z[i]);
        }
      }
      case SOFTMAX -> {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
          max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
          y[i] = Math.exp(z[i] - max);
          sum += y[i];
        }
        for (int i = 0; i < z.length; i++) {
          y[i] /= sum;
        }
      }
    }
    return y;
  }

  // ---------------------------------------------------------------- loss and backward

  /** One training sample's result: loss, prediction, and the gradient of every parameter. */
  record Gradients(double loss, double[] prediction, double[] parameters, double margin) {}

  /**
   * The loss of {@code x} against {@code target} and its gradient with respect to every
   * parameter, by the chain rule through the layers in reverse.
   */
  Gradients gradients(float[] p, float[] x, float[] target, double[][] masks) {
    Trace t = forward(p, x, masks);
    int last = layers.size() - 1;
    Layer end = layers.get(last);
    int n = end.out.size();
    double loss = 0;
    double[] prediction = new double[n];
    double[] d = new double[n]; // gradient of the loss w.r.t. the current layer's output
    if (this.loss == Loss.SOFTMAX_CROSS_ENTROPY) {
      double[] z = t.pre[last];
      double max = Double.NEGATIVE_INFINITY;
      for (double v : z) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (double v : z) {
        sum += Math.exp(v - max);
      }
      double logSum = max + Math.log(sum);
      double targetSum = 0;
      for (int i = 0; i < n; i++) {
        loss -= target[i] * (z[i] - logSum);
        targetSum += target[i];
        prediction[i] = Math.exp(z[i] - logSum);
      }
      for (int i = 0; i < n; i++) {
        d[i] = prediction[i] * targetSum - target[i];
      }
    } else if (this.loss == Loss.SIGMOID_CROSS_ENTROPY) {
      double[] z = t.pre[last];
      for (int i = 0; i < n; i++) {
        loss += Math.max(z[i], 0) - z[i] * target[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
        prediction[i] = 1 / (1 + Math.exp(-z[i]));
        d[i] = (prediction[i] - target[i]) / n;
      }
      loss /= n;
    } else {
      double[] y = t.post[last];
      for (int i = 0; i < n; i++) {
        loss += (y[i] - target[i]) * (y[i] - target[i]);
        prediction[i] = y[i];
        d[i] = 2 * (y[i] - target[i]) / n;
      }
      loss /= n;
    }
    double[] g = new double[parameterCount];
    // The gradient of each layer's output, summed over the layers that read it.
    double[][] outputGradients = new double[layers.size()][];
    outputGradients[last] = d;
    for (int i = last; i >= 0; i--) {
      Layer l = layers.get(i);
      d = outputGradients[i];
      if (d == null) {
        continue; // nothing reads it: a dead branch contributes nothing
      }
      // Through the activation (the loss already did the last layer's Softmax or Sigmoid).
      boolean leftToLoss = i == last && this.loss != Loss.MEAN_SQUARED_ERROR;
      if (l.act != null && !leftToLoss) {
        d = activationGradient(l.act, t.pre[i], t.post[i], d);
      }
      if (l.kind == Kind.ADD) {
        for (int source : l.sources) {
          accumulate(outputGradients, source, d);
        }
        continue;
      }
      if (l.kind == Kind.CONCAT) {
        int pixels = l.out.size() / l.out.c();
        int at = 0;
        for (int k = 0; k < l.sources.length; k++) {
          int c = l.ins[k].c();
          double[] part = new double[pixels * c];
          for (int px = 0; px < pixels; px++) {
            for (int j = 0; j < c; j++) {
              part[px * c + j] = d[px * l.out.c() + at + j];
            }
          }
          accumulate(outputGradients, l.sources[k], part);
          at += c;
        }
        continue;
      }
      double[] in = t.input(i);
      double[] dx =
          switch (l.kind) {
            case CONV -> convBackward(l, p, in, d, g);
            case DEPTHWISE -> depthwiseBackward(l, p, in, d, g);
            case MAX_POOL, AVG_POOL -> poolBackward(l, in, d);
            case DENSE -> denseBackward(l, p, in, d, g);
            case FLATTEN, ACTIVATION -> d;
            case DROPOUT -> dropout(d, masks == null ? null : masks[i]);
            case ADD, CONCAT -> throw new AssertionError();
          };
      accumulate(outputGradients, l.sources[0], dx);
    }
    return new Gradients(loss, prediction, g, t.margin);
  }

  private static void accumulate(double[][] gradients, int source, double[] d) {
    if (source < 0) {
      return; // the input's gradient is not needed
    }
    if (gradients[source] == null) {
      gradients[source] = d.clone();
    } else {
      for (int j = 0; j < d.length; j++) {
        gradients[source][j] += d[j];
      }
    }
  }

  static double[] activationGradient(Act act, double[] z, double[] y, double[] d) {
    double[] dz = new double[d.length];
    for (int i = 0; i < d.length; i++) {
      dz[i] =
          switch (act.kind()) {
            case RELU -> z[i] > 0 ? d[i] : 0;
            case LEAKY_RELU -> z[i] > 0 ? d[i] : act.alpha() * d[i];
            case SIGMOID -> d[i] * y[i] * (1 - y[i]);
            case TANH -> d[i] * (1 - y[i] * y[i]);
            case SOFTMAX -> throw new IllegalStateException("Softmax is only last, left to the loss");
          };
    }
    return dz;
  }

  static double[] convBackward(Layer l, float[] p, double[] x, double[] d, double[] g) {
    Shape in = l.in;
    Shape out = l.out;
    double[] dx = new double[in.size()];
    for (int oh = 0; oh < out.h(); oh++) {
      for (int ow = 0; ow < out.w(); ow++) {
        for (int f = 0; f < l.filters; f++) {
          double dy = d[(oh * out.w() + ow) * out.c() + f];
          if (l.bias) {
            g[l.biasOffset + f] += dy;
          }
          for (int a = 0; a < l.kh; a++) {
            for (int b = 0; b < l.kw; b++) {
              long r = (long) oh * l.sh - l.top + a;
              long s = (long) ow * l.sw - l.left + b;
              if (r < 0 || r >= in.h() || s < 0 || s >= in.w()) {
                continue;
              }
              for (int c = 0; c < in.c(); c++) {
                int xi = (int) ((r * in.w() + s) * in.c() + c);
                int k = kernelIndex(l, a, b, c, f);
                g[k] += x[xi] * dy;
                dx[xi] += p[k] * dy;
              }
            }
          }
        }
      }
    }
    return dx;
  }

  /**
   * TensorFlow's depthwise convolution: output channel {@code c * multiplier + m} is input channel
   * c under filter m, weights {@code [kh, kw, in, multiplier]}; padded cells are zeros.
   */
  static double[] depthwise(Layer l, float[] p, double[] x) {
    Shape in = l.in;
    Shape out = l.out;
    double[] y = new double[out.size()];
    for (int oh = 0; oh < out.h(); oh++) {
      for (int ow = 0; ow < out.w(); ow++) {
        for (int c = 0; c < in.c(); c++) {
          for (int m = 0; m < l.multiplier; m++) {
            int o = c * l.multiplier + m;
            double sum = l.bias ? p[l.biasOffset + o] : 0;
            for (int a = 0; a < l.kh; a++) {
              for (int b = 0; b < l.kw; b++) {
                long r = (long) oh * l.sh - l.top + a;
                long s = (long) ow * l.sw - l.left + b;
                if (r < 0 || r >= in.h() || s < 0 || s >= in.w()) {
                  continue; // a zero of the padding
                }
                sum += x[(int) ((r * in.w() + s) * in.c() + c)] * p[depthwiseIndex(l, a, b, c, m)];
              }
            }
            y[(oh * out.w() + ow) * out.c() + o] = sum;
          }
        }
      }
    }
    return y;
  }

  static int depthwiseIndex(Layer l, int a, int b, int c, int m) {
    return l.weightOffset + ((a * l.kw + b) * l.in.c() + c) * l.multiplier + m;
  }

  static double[] depthwiseBackward(Layer l, float[] p, double[] x, double[] d, double[] g) {
    Shape in = l.in;
    Shape out = l.out;
    double[] dx = new double[in.size()];
    for (int oh = 0; oh < out.h(); oh++) {
      for (int ow = 0; ow < out.w(); ow++) {
        for (int c = 0; c < in.c(); c++) {
          for (int m = 0; m < l.multiplier; m++) {
            int o = c * l.multiplier + m;
            double dy = d[(oh * out.w() + ow) * out.c() + o];
            if (l.bias) {
              g[l.biasOffset + o] += dy;
            }
            for (int a = 0; a < l.kh; a++) {
              for (int b = 0; b < l.kw; b++) {
                long r = (long) oh * l.sh - l.top + a;
                long s = (long) ow * l.sw - l.left + b;
                if (r < 0 || r >= in.h() || s < 0 || s >= in.w()) {
                  continue;
                }
                int xi = (int) ((r * in.w() + s) * in.c() + c);
                int k = depthwiseIndex(l, a, b, c, m);
                g[k] += x[xi] * dy;
                dx[xi] += p[k] * dy;
              }
            }
          }
        }
      }
    }
    return dx;
  }

  static double[] poolBackward(Layer l, double[] x, double[] d) {
    int channels = l.in.c();
    double[] dx = new double[l.in.size()];
    for (int oh = 0; oh < l.out.h(); oh++) {
      for (int ow = 0; ow < l.out.w(); ow++) {
        List<Integer> cells = cells(l, oh, ow);
        for (int c = 0; c < channels; c++) {
          double dy = d[(oh * l.out.w() + ow) * channels + c];
          if (l.kind == Kind.MAX_POOL) {
            int best = cells.get(0);
            for (int cell : cells) {
              if (x[cell * channels + c] > x[best * channels + c]) {
                best = cell;
              }
            }
            dx[best * channels + c] += dy;
          } else {
            for (int cell : cells) {
              dx[cell * channels + c] += dy / cells.size();
            }
          }
        }
      }
    }
    return dx;
  }

  static double[] denseBackward(Layer l, float[] p, double[] x, double[] d, double[] g) {
    double[] dx = new double[x.length];
    for (int o = 0; o < l.units; o++) {
      if (l.bias) {
        g[l.biasOffset + o] += d[o];
      }
      for (int i = 0; i < x.length; i++) {
        g[l.weightOffset + i * l.units + o] += x[i] * d[o];
        dx[i] += p[l.weightOffset + i * l.units + o] * d[o];
      }
    }
    return dx;
  }
}
