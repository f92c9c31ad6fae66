package dev.kiln.onnx;

import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.onnx.proto.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.TensorShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns an ONNX graph into a Kiln declaration and its parameters. One pass over the nodes in
 * graph order: initializers and constant subgraphs (PyTorch's {@code Shape}, {@code Gather},
 * {@code Unsqueeze}, {@code Concat} before a {@code Reshape}) are folded into constants; every
 * other node becomes a Kiln layer (a field), joins one (an activation on its layer's field, a
 * bias {@code Add} after a {@code MatMul}) or is an alias (a {@code Flatten}, {@code Reshape},
 * {@code Transpose}, {@code Dropout} or {@code Identity}, which Kiln's layouts make implicit).
 *
 * <p>Layouts: ONNX's spatial tensors are NCHW, Kiln's NHWC, so kernels are transposed OIHW to
 * HWIO, and a dense layer that reads a flattened NCHW tensor (PyTorch's CHW order) has its rows
 * reordered to Kiln's HWC order. A graph whose input is NHWC and transposed to NCHW first (Kiln's
 * own exports) imports as it was.
 */
final class Importer {
  static final int MIN_OPSET = 9;
  static final int MAX_OPSET = 21;

  static final String SUPPORTED =
      "Conv (group 1 or the input's channels), MaxPool, AveragePool, GlobalAveragePool, Gemm,"
          + " MatMul (with a bias Add), BatchNormalization, Add, Sum, Concat (channels), Relu,"
          + " LeakyRelu, Sigmoid, Tanh, Clip (0 to 6, or from 0), Softmax (last axis), Flatten,"
          + " Reshape (to [N, features]), Transpose (NCHW/NHWC), Dropout, Identity; and on"
          + " constants Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Cast";

  /** The batch dimension in a folded shape: unknown until run time, never a layer's size. */
  private static final long BATCH = Long.MIN_VALUE;

  /** How an ONNX tensor lays out the Kiln layer output it stands for. */
  private enum Layout {
    /** A spatial tensor, NCHW (Kiln's layer is HWC). */
    NCHW,
    /** A spatial tensor transposed to NHWC: Kiln's own layout. */
    NHWC,
    /** A vector (a dense layer's output, or a 1-D input). */
    FLAT,
    /** A spatial tensor flattened in ONNX's CHW order; Kiln flattens HWC. */
    FLAT_CHW,
    /** A spatial tensor flattened from NHWC: Kiln's HWC order. */
    FLAT_HWC;

    boolean flat() {
      return this == FLAT || this == FLAT_CHW || this == FLAT_HWC;
    }
  }

  /** A non-constant tensor: the Kiln layer it is the output of, that layer's shape, its layout. */
  private record Value(String layer, TensorShape shape, Layout layout) {}

  /** A declared layer, filled in as the nodes are read. */
  private static final class Field {
    final String name;
    final String annotation; // "@Conv2D(filters = 6, kernel = 5)"
    final List<String> from;
    final TensorShape shape;
    final List<String> nodes = new ArrayList<>();
    final List<Checkpoint.Tensor> tensors = new ArrayList<>();
    String activation; // "@ReLU", or null
    String softmax; // where a Softmax came from: "node 9 of 12, '/Softmax' (Softmax)"
    boolean dense; // a dense layer whose bias a following Add may give
    boolean hasBias;
    int units;

    Field(String name, String annotation, List<String> from, TensorShape shape) {
      this.name = name;
      this.annotation = annotation;
      this.from = from;
      this.shape = shape;
    }
  }

  private final ModelProto model;
  private final Path file;
  private final String fileName;
  private final String packageName;
  private final String className;
  private final GraphProto graph;
  private long opset;
  private final Map<String, Constant> constants = new HashMap<>();
  private final Map<String, Value> values = new HashMap<>();
  private final Map<String, Integer> consumers = new HashMap<>();
  /**
   * Per layer: how many nodes (and graph outputs) read its output, through any alias; an
   * activation or a bias joins the layer's field only when it is the one reader.
   */
  private final Map<String, Integer> reads = new HashMap<>();
  private final List<Field> fields = new ArrayList<>();
  private final Map<String, Field> byName = new HashMap<>();
  private final Set<String> names = new HashSet<>();
  private NodeProto node;
  private int position;
  private TensorShape inputShape;
  private String inputLayout;

  private Importer(ModelProto model, Path file, String packageName, String className) {
    this.model = model;
    this.file = file;
    this.fileName = file == null ? null : String.valueOf(file.getFileName());
    this.packageName = packageName;
    this.className = className;
    this.graph = model.getGraph();
  }

  static ImportedNetwork read(Path file, String packageName, String className) throws IOException {
    checkNames(packageName, className);
    byte[] bytes = Files.readAllBytes(file);
    return new Importer(parse(bytes, file.toString()), file, packageName, className).run();
  }

  static ImportedNetwork read(ModelProto model, String packageName, String className)
      throws OnnxImportException {
    checkNames(packageName, className);
    try {
      return new Importer(model, null, packageName, className).run();
    } catch (OnnxImportException e) {
      throw e;
    } catch (IOException e) {
      throw new OnnxImportException(e.getMessage());
    }
  }

  static ModelProto parse(byte[] bytes, String what) throws OnnxImportException {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new OnnxImportException(
          what + " is not an ONNX model, or is truncated (" + bytes.length + " bytes): "
              + e.getMessage());
    }
    if (!m.hasGraph() || m.getGraph().getNodeCount() == 0 || m.getOpsetImportCount() == 0) {
      throw new OnnxImportException(
          what + " is not an ONNX model, or is truncated (" + bytes.length + " bytes): it has "
              + (m.hasGraph() ? "a graph without nodes" : "no graph")
              + (m.getOpsetImportCount() == 0 ? " and no opset" : ""));
    }
    return m;
  }

  private static void checkNames(String packageName, String className) {
    if (!Identifiers.isIdentifier(className)) {
      throw new IllegalArgumentException(
          "'" + className + "' is not a Java class name (letters, digits, _ and $, not starting with"
              + " a digit, not a keyword)");
    }
    if (!packageName.isEmpty()) {
      for (String part : packageName.split("\\.", -1)) {
        if (!Identifiers.isIdentifier(part)) {
          throw new IllegalArgumentException("'" + packageName + "' is not a Java package name");
        }
      }
    }
  }

  // ---------------------------------------------------------------- the pass

  private ImportedNetwork run() throws IOException {
    opset = opset();
    for (TensorProto t : graph.getInitializerList()) {
      constants.put(t.getName(), Constant.of(t, file));
    }
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        consumers.merge(in, 1, Integer::sum);
      }
    }
    for (ValueInfoProto out : graph.getOutputList()) {
      consumers.merge(out.getName(), 1, Integer::sum);
    }
    input();
    if (graph.getOutputCount() != 1) {
      throw new OnnxImportException(
          "the graph has " + graph.getOutputCount() + " outputs ("
              + String.join(", ", graph.getOutputList().stream().map(ValueInfoProto::getName).toList())
              + "); Kiln's networks have exactly one");
    }
    for (position = 0; position < graph.getNodeCount(); position++) {
      node = graph.getNode(position);
      nodeOf();
    }
    node = null;
    String outputName = graph.getOutput(0).getName();
    Value out = values.get(outputName);
    if (out == null) {
      throw new OnnxImportException(
          "the graph's output '" + outputName + "' is "
              + (constants.containsKey(outputName) ? "a constant" : "computed by no node")
              + "; Kiln's output is its last layer's");
    }
    out = output(out);
    if (fields.isEmpty() || !fields.get(fields.size() - 1).name.equals(out.layer())) {
      throw new OnnxImportException(
          "the graph's output '" + outputName + "' is layer " + out.layer() + ", but "
              + (fields.isEmpty() ? "the graph has no layer" : "the last layer is "
                  + fields.get(fields.size() - 1).name)
              + "; Kiln's output is its last layer, so the nodes after it must feed the output");
    }
    for (Field f : fields.subList(0, fields.size() - 1)) {
      if (f.softmax != null) {
        throw new OnnxImportException(
            f.softmax + ", cannot be imported: Kiln's Softmax turns the output's logits into"
                + " probabilities and must be on the last layer, but layer " + f.name
                + " is read by others; Kiln imports Softmax only as the graph's last node");
      }
    }
    return network(out);
  }

  private long opset() throws OnnxImportException {
    long version = -1;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        version = o.getVersion();
      }
    }
    if (version < MIN_OPSET || version > MAX_OPSET) {
      throw new OnnxImportException(
          (version < 0 ? "the model imports no opset of the default domain (ai.onnx)"
              : "the model's opset is " + version)
              + "; Kiln imports opsets " + MIN_OPSET + " to " + MAX_OPSET
              + " (re-export it with opset_version=13, for example)");
    }
    return version;
  }

  /** The one input: [N, C, H, W] (or NHWC when only transposes to NCHW read it), or [N, F]. */
  private void input() throws OnnxImportException {
    List<ValueInfoProto> inputs = new ArrayList<>();
    for (ValueInfoProto v : graph.getInputList()) {
      if (!constants.containsKey(v.getName())) {
        inputs.add(v);
      }
    }
    if (inputs.size() != 1) {
      throw new OnnxImportException(
          "the graph has " + inputs.size() + " inputs besides its initializers ("
              + String.join(", ", inputs.stream().map(ValueInfoProto::getName).toList())
              + "); Kiln's networks have exactly one");
    }
    ValueInfoProto in = inputs.get(0);
    if (!in.getType().hasTensorType()
        || in.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new OnnxImportException(
          "the input '" + in.getName() + "' is not a float32 tensor; Kiln's networks take float32");
    }
    TensorShapeProto shape = in.getType().getTensorType().getShape();
    int rank = shape.getDimCount();
    if (rank != 4 && rank != 2) {
      throw new OnnxImportException(
          "the input '" + in.getName() + "' has rank " + rank + " " + dims(shape)
              + "; Kiln takes images [N, C, H, W] (or NHWC) or vectors [N, features]");
    }
    int[] sizes = new int[rank - 1];
    for (int i = 1; i < rank; i++) {
      TensorShapeProto.Dimension d = shape.getDim(i);
      if (!d.hasDimValue() || d.getDimValue() <= 0 || d.getDimValue() > Integer.MAX_VALUE) {
        throw new OnnxImportException(
            "the input '" + in.getName() + "' " + dims(shape) + " has a dynamic size in dimension "
                + i + "; Kiln's sizes are fixed at compile time, only the batch (dimension 0) may"
                + " vary: export with fixed sizes (torch.onnx.export's dynamic_axes on 0 only)");
      }
      sizes[i - 1] = (int) d.getDimValue();
    }
    if (rank == 2) {
      inputShape = TensorShape.of(1, 1, sizes[0]);
      inputLayout = "NC";
      values.put(in.getName(), new Value("@input", inputShape, Layout.FLAT));
      return;
    }
    boolean nhwc = true;
    int readers = 0;
    for (NodeProto n : graph.getNodeList()) {
      if (n.getInputList().contains(in.getName())) {
        readers++;
        nhwc &= n.getOpType().equals("Transpose") && Arrays.equals(perm(n), new long[] {0, 3, 1, 2});
      }
    }
    nhwc &= readers > 0;
    inputShape =
        nhwc
            ? TensorShape.of(sizes[0], sizes[1], sizes[2])
            : TensorShape.of(sizes[1], sizes[2], sizes[0]);
    inputLayout = nhwc ? "NHWC" : "NCHW";
    values.put(in.getName(), new Value("@input", inputShape, nhwc ? Layout.NHWC : Layout.NCHW));
  }

  private static String dims(TensorShapeProto shape) {
    List<String> d = new ArrayList<>();
    for (TensorShapeProto.Dimension dim : shape.getDimList()) {
      d.add(dim.hasDimValue() ? String.valueOf(dim.getDimValue())
          : dim.getDimParam().isEmpty() ? "?" : dim.getDimParam());
    }
    return "[" + String.join(", ", d) + "]";
  }

  private static long[] perm(NodeProto n) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals("perm")) {
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
      }
    }
    return new long[0];
  }

  // ---------------------------------------------------------------- nodes

  private void nodeOf() throws IOException {
    if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
      throw unsupported("its domain '" + node.getDomain() + "' is not ONNX's own");
    }
    for (String in : node.getInputList()) {
      if (!in.isEmpty() && !constants.containsKey(in) && !values.containsKey(in)) {
        throw fail("it reads '" + in + "', which no earlier node computes (the nodes must be in"
            + " graph order)");
      }
    }
    if (folds()) {
      return;
    }
    switch (node.getOpType()) {
      case "Conv" -> conv();
      case "MaxPool", "AveragePool" -> pool();
      case "GlobalAveragePool" -> {
        Value x = spatial(0);
        layer(x, "@GlobalAvgPool", "GlobalAvgPool", TensorShape.of(1, 1, x.shape().channels()),
            Layout.NCHW);
      }
      case "Gemm" -> gemm();
      case "MatMul" -> matMul();
      case "BatchNormalization" -> batchNorm();
      case "Add", "Sum" -> add();
      case "Concat" -> concat();
      case "Relu" -> activation("@ReLU");
      case "LeakyRelu" -> activation("@LeakyReLU(alpha = " + number(floatAttr("alpha", 0.01f)) + ")");
      case "Sigmoid" -> activation("@Sigmoid");
      case "Tanh" -> activation("@Tanh");
      case "Clip" -> clip();
      case "Softmax" -> softmax();
      case "Flatten" -> flatten();
      case "Reshape" -> reshape();
      case "Transpose" -> transpose();
      case "Dropout", "Identity" -> {
        onlyFirstOutputUsed();
        Value x = value(0);
        alias(x);
      }
      default -> throw unsupported("Kiln has no layer for " + node.getOpType());
    }
  }

  /** Folds a node whose inputs are all constants (or a Shape of a known tensor). */
  private boolean folds() throws IOException {
    String op = node.getOpType();
    if (op.equals("Constant")) {
      constants.put(node.getOutput(0), constantAttribute());
      return true;
    }
    if (op.equals("Shape") && values.containsKey(node.getInput(0))) {
      Value v = values.get(node.getInput(0));
      long[] shape = onnxShape(v);
      int rank = shape.length;
      long start = intAttr("start", 0);
      long end = intAttr("end", rank);
      start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
      end = Math.max(start, Math.min(rank, end < 0 ? end + rank : end));
      long[] s = Arrays.copyOfRange(shape, (int) start, (int) end);
      constants.put(node.getOutput(0), new Constant(new long[] {s.length}, null, s));
      return true;
    }
    for (String in : node.getInputList()) {
      if (!in.isEmpty() && !constants.containsKey(in)) {
        return false;
      }
    }
    Constant c;
    switch (op) {
      case "Identity", "Cast" -> {
        Constant x = constant(0);
        long to = intAttr("to", TensorProto.DataType.FLOAT_VALUE);
        boolean integral =
            op.equals("Identity") ? x.ints() != null
                : to == TensorProto.DataType.INT64_VALUE || to == TensorProto.DataType.INT32_VALUE;
        c = integral ? new Constant(x.dims(), null, x.asInts()) : new Constant(x.dims(), x.asFloats(), null);
      }
      case "Shape" -> {
        long[] d = constant(0).dims();
        c = new Constant(new long[] {d.length}, null, d.clone());
      }
      case "Gather" -> {
        Constant data = constant(0);
        Constant index = constant(1);
        if (data.dims().length != 1 || intAttr("axis", 0) != 0) {
          throw unsupported("Gather is folded only from a 1-D constant along axis 0");
        }
        long[] from = data.asInts();
        long[] idx = index.asInts();
        long[] out = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
          long j = idx[i] < 0 ? idx[i] + from.length : idx[i];
          if (j < 0 || j >= from.length) {
            throw fail("Gather index " + idx[i] + " is outside its data of " + from.length);
          }
          out[i] = from[(int) j];
        }
        c = new Constant(index.dims().clone(), null, out);
      }
      case "Unsqueeze", "Squeeze" -> {
        Constant x = constant(0);
        long[] axes =
            node.getInputCount() > 1 && !node.getInput(1).isEmpty()
                ? constant(1).asInts()
                : ints("axes");
        List<Long> dims = new ArrayList<>();
        for (long d : x.dims()) {
          dims.add(d);
        }
        if (op.equals("Unsqueeze")) {
          int rank = dims.size() + axes.length;
          long[] sorted = axes.clone();
          for (int i = 0; i < sorted.length; i++) {
            sorted[i] = sorted[i] < 0 ? sorted[i] + rank : sorted[i];
          }
          Arrays.sort(sorted);
          for (long a : sorted) {
            dims.add((int) Math.min(a, dims.size()), 1L);
          }
        } else if (axes.length == 0) {
          dims.removeIf(d -> d == 1);
        } else {
          int rank = dims.size();
          long[] sorted = axes.clone();
          for (int i = 0; i < sorted.length; i++) {
            sorted[i] = sorted[i] < 0 ? sorted[i] + rank : sorted[i];
          }
          Arrays.sort(sorted);
          for (int i = sorted.length - 1; i >= 0; i--) {
            if (sorted[i] < 0 || sorted[i] >= rank || dims.get((int) sorted[i]) != 1) {
              throw fail("Squeeze axis " + sorted[i] + " of a constant of shape " + dims
                  + " is not of size 1");
            }
            dims.remove((int) sorted[i]);
          }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        c = new Constant(d, x.floats(), x.ints());
      }
      case "Concat" -> {
        List<Long> ints = new ArrayList<>();
        List<Float> floats = new ArrayList<>();
        boolean integral = true;
        for (int i = 0; i < node.getInputCount(); i++) {
          Constant x = constant(i);
          if (x.dims().length > 1) {
            throw unsupported("Concat is folded only on 1-D constants");
          }
          integral &= x.ints() != null;
          for (long v : x.asInts()) {
            ints.add(v);
          }
          for (float v : x.asFloats()) {
            floats.add(v);
          }
        }
        long[] out = ints.stream().mapToLong(Long::longValue).toArray();
        float[] f = new float[floats.size()];
        for (int i = 0; i < f.length; i++) {
          f[i] = floats.get(i);
        }
        c = integral ? new Constant(new long[] {out.length}, null, out)
            : new Constant(new long[] {f.length}, f, null);
      }
      default -> throw unsupported("Kiln folds only " + SUPPORTED.substring(SUPPORTED.indexOf("Constant"))
          + " when all inputs are constant");
    }
    constants.put(node.getOutput(0), c);
    return true;
  }

  /** The shape ONNX sees of a value, the batch as {@link #BATCH}. */
  private static long[] onnxShape(Value v) {
    TensorShape s = v.shape();
    return switch (v.layout()) {
      case NCHW -> new long[] {BATCH, s.channels(), s.height(), s.width()};
      case NHWC -> new long[] {BATCH, s.height(), s.width(), s.channels()};
      case FLAT, FLAT_CHW, FLAT_HWC -> new long[] {BATCH, s.size()};
    };
  }

  private void conv() throws OnnxImportException {
    Value x = spatial(0);
    Constant w = constant(1, "weights");
    if (w.dims().length != 4) {
      throw unsupported("its weights have rank " + w.dims().length + "; Kiln's convolutions are 2-D");
    }
    noDilation();
    int outChannels = (int) w.dims()[0];
    int perGroup = (int) w.dims()[1];
    int kh = (int) w.dims()[2];
    int kw = (int) w.dims()[3];
    int[] kernel = pairAttr("kernel_shape", kh, kw);
    if (kernel[0] != kh || kernel[1] != kw) {
      throw unsupported("kernel_shape " + Arrays.toString(kernel) + " differs from its weights' " + kh
          + "x" + kw);
    }
    int[] stride = pairAttr("strides", 1, 1);
    long group = intAttr("group", 1);
    int in = x.shape().channels();
    boolean depthwise;
    if (group == 1 && perGroup == in) {
      depthwise = false;
    } else if (group == in && perGroup == 1 && outChannels % in == 0) {
      depthwise = true;
    } else {
      throw unsupported(
          "group = " + group + " over " + in + " input channels (weights "
              + Arrays.toString(w.dims()) + "); Kiln has group 1 (@Conv2D) and group = channels"
              + " (@DepthwiseConv2D)");
    }
    int[] pads = pads(x.shape(), kernel, stride, false);
    TensorShape out =
        TensorShape.of(
            (x.shape().height() + pads[0] + pads[1] - kernel[0]) / stride[0] + 1,
            (x.shape().width() + pads[2] + pads[3] - kernel[1]) / stride[1] + 1,
            outChannels);
    float[] onnx = w.asFloats();
    float[] hwio = new float[onnx.length];
    int last = depthwise ? outChannels / in : outChannels;
    int[] shape = {kh, kw, in, last};
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        for (int c = 0; c < in; c++) {
          for (int o = 0; o < last; o++) {
            int from =
                depthwise
                    ? ((c * last + o) * kh + i) * kw + j
                    : ((o * in + c) * kh + i) * kw + j;
            hwio[((i * kw + j) * in + c) * last + o] = onnx[from];
          }
        }
      }
    }
    boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
    StringBuilder a = new StringBuilder();
    if (depthwise) {
      a.append("@DepthwiseConv2D(kernel = ").append(pair(kernel));
      if (last != 1) {
        a.append(", depthMultiplier = ").append(last);
      }
    } else {
      a.append("@Conv2D(filters = ").append(outChannels).append(", kernel = ").append(pair(kernel));
    }
    if (stride[0] != 1 || stride[1] != 1) {
      a.append(", stride = ").append(pair(stride));
    }
    a.append(padding(x.shape(), kernel, stride, pads));
    if (!bias) {
      a.append(", bias = false");
    }
    a.append(")");
    Field f = layer(x, a.toString(), depthwise ? "DepthwiseConv2D" : "Conv2D", out, Layout.NCHW);
    f.tensors.add(new Checkpoint.Tensor(f.name + ".kernel", shape, hwio));
    if (bias) {
      f.tensors.add(vector(f.name + ".bias", constant(2, "bias"), outChannels, 1f));
    }
  }

  private void pool() throws OnnxImportException {
    boolean max = node.getOpType().equals("MaxPool");
    onlyFirstOutputUsed();
    Value x = spatial(0);
    noDilation();
    int[] kernel = pairAttr("kernel_shape", -1, -1);
    if (kernel[0] <= 0) {
      throw fail("it has no kernel_shape");
    }
    int[] stride = pairAttr("strides", 1, 1);
    int[] pads = pads(x.shape(), kernel, stride, intAttr("ceil_mode", 0) != 0);
    if (!max && intAttr("count_include_pad", 0) != 0 && (pads[0] | pads[1] | pads[2] | pads[3]) != 0) {
      throw unsupported(
          "count_include_pad = 1 with padding " + Arrays.toString(pads)
              + " (top, bottom, left, right): Kiln's average pools divide by the real cells of each"
              + " window (count_include_pad = 0), as TensorFlow's do");
    }
    for (int i = 0; i < 4; i++) {
      if (pads[i] >= kernel[i / 2]) {
        throw unsupported("padding " + Arrays.toString(pads) + " as large as its window "
            + kernel[0] + "x" + kernel[1] + " (a window of padding only)");
      }
    }
    TensorShape out =
        TensorShape.of(
            (x.shape().height() + pads[0] + pads[1] - kernel[0]) / stride[0] + 1,
            (x.shape().width() + pads[2] + pads[3] - kernel[1]) / stride[1] + 1,
            x.shape().channels());
    StringBuilder a = new StringBuilder(max ? "@MaxPool(size = " : "@AvgPool(size = ");
    a.append(pair(kernel));
    if (stride[0] != kernel[0] || stride[1] != kernel[1]) {
      a.append(", stride = ").append(pair(stride));
    }
    a.append(padding(x.shape(), kernel, stride, pads)).append(")");
    layer(x, a.toString(), max ? "MaxPool" : "AvgPool", out, Layout.NCHW);
  }

  /**
   * The window's padding, {@code {top, bottom, left, right}}: explicit {@code pads} or {@code
   * auto_pad}, with ceil_mode's rows and columns added at the bottom and right, then the padding
   * no window reads taken off the bottom and right (so that Kiln does not warn of unread input).
   */
  private int[] pads(TensorShape in, int[] k, int[] s, boolean ceil) throws OnnxImportException {
    String auto = stringAttr("auto_pad", "NOTSET");
    int[] n = {in.height(), in.width()};
    int[] pads = new int[4];
    switch (auto) {
      case "NOTSET" -> {
        long[] p = ints("pads");
        if (p.length != 0 && p.length != 4) {
          throw unsupported("pads " + Arrays.toString(p) + " (Kiln's windows are 2-D)");
        }
        if (p.length == 4) {
          for (long v : p) {
            if (v < 0 || v > Integer.MAX_VALUE) {
              throw unsupported("pads " + Arrays.toString(p) + " (negative pads crop)");
            }
          }
          pads = new int[] {(int) p[0], (int) p[2], (int) p[1], (int) p[3]};
        }
      }
      case "VALID" -> {}
      case "SAME_UPPER", "SAME_LOWER" -> {
        for (int axis = 0; axis < 2; axis++) {
          long out = ((long) n[axis] + s[axis] - 1) / s[axis];
          int total = (int) Math.max((out - 1) * s[axis] + k[axis] - n[axis], 0);
          int small = total / 2;
          pads[2 * axis] = auto.equals("SAME_UPPER") ? small : total - small;
          pads[2 * axis + 1] = total - pads[2 * axis];
        }
      }
      default -> throw unsupported("auto_pad " + auto);
    }
    for (int axis = 0; axis < 2; axis++) {
      long padded = (long) n[axis] + pads[2 * axis] + pads[2 * axis + 1];
      if (padded < k[axis]) {
        throw unsupported("its window " + k[0] + "x" + k[1] + " does not fit its padded input");
      }
      long out = (padded - k[axis]) / s[axis] + 1;
      if (ceil) {
        long up = (padded - k[axis] + s[axis] - 1) / s[axis] + 1;
        if ((up - 1) * s[axis] >= n[axis] + pads[2 * axis]) {
          up--; // the last window must start inside the input or its top/left padding
        }
        out = up;
        long extra = (out - 1) * s[axis] + k[axis] - padded;
        if (extra > 0) {
          pads[2 * axis + 1] += (int) extra;
          padded += extra;
        }
      }
      long unread = padded - ((out - 1) * s[axis] + k[axis]);
      pads[2 * axis + 1] -= (int) Math.min(unread, pads[2 * axis + 1]);
    }
    return pads;
  }

  /** How the declaration says the padding: SAME where Kiln's SAME is the same, else explicit. */
  private static String padding(TensorShape in, int[] k, int[] s, int[] pads) {
    int[] n = {in.height(), in.width()};
    boolean same = true;
    for (int axis = 0; axis < 2; axis++) {
      long out = ((long) n[axis] + s[axis] - 1) / s[axis];
      long total = Math.max((out - 1) * s[axis] + k[axis] - n[axis], 0);
      same &= pads[2 * axis] == total / 2 && pads[2 * axis + 1] == total - total / 2;
    }
    if (pads[0] == 0 && pads[1] == 0 && pads[2] == 0 && pads[3] == 0) {
      return "";
    }
    if (same) {
      return ", padding = Padding.SAME";
    }
    if (pads[0] == pads[1] && pads[2] == pads[3]) {
      return ", pad = " + (pads[0] == pads[2] ? String.valueOf(pads[0]) : "{" + pads[0] + ", " + pads[2] + "}");
    }
    return ", pad = {" + pads[0] + ", " + pads[1] + ", " + pads[2] + ", " + pads[3] + "}";
  }

  private void gemm() throws OnnxImportException {
    Value x = flat(0);
    if (intAttr("transA", 0) != 0) {
      throw unsupported("transA = 1 (the batch would be the features)");
    }
    Constant b = constant(1, "weights");
    if (b.dims().length != 2) {
      throw unsupported("its B has rank " + b.dims().length);
    }
    boolean transB = intAttr("transB", 0) != 0;
    float alpha = floatAttr("alpha", 1f);
    float beta = floatAttr("beta", 1f);
    int in = (int) (transB ? b.dims()[1] : b.dims()[0]);
    int units = (int) (transB ? b.dims()[0] : b.dims()[1]);
    Field f = dense(x, b.asFloats(), in, units, transB, alpha);
    if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
      f.tensors.add(vector(f.name + ".bias", constant(2, "C"), units, beta));
      f.hasBias = true;
    }
  }

  private void matMul() throws OnnxImportException {
    Value x = flat(0);
    Constant b = constant(1, "weights");
    if (b.dims().length != 2) {
      throw unsupported("its B has rank " + b.dims().length + "; Kiln's dense layers multiply by a"
          + " matrix");
    }
    dense(x, b.asFloats(), (int) b.dims()[0], (int) b.dims()[1], false, 1f);
  }

  /** A dense layer of {@code w} ({@code [in, units]}, or {@code [units, in]} transposed). */
  private Field dense(Value x, float[] w, int in, int units, boolean transposed, float alpha)
      throws OnnxImportException {
    if (in != x.shape().size()) {
      throw unsupported("its weights take " + in + " features but its input has " + x.shape().size());
    }
    TensorShape s = x.shape();
    float[] kernel = new float[w.length];
    for (int r = 0; r < in; r++) {
      // Kiln's row r (HWC order); the ONNX row it was, in CHW order after an NCHW flatten.
      int onnxRow = r;
      if (x.layout() == Layout.FLAT_CHW) {
        int c = r % s.channels();
        int yx = r / s.channels();
        onnxRow = c * s.height() * s.width() + yx;
      }
      for (int o = 0; o < units; o++) {
        float v = transposed ? w[o * in + onnxRow] : w[onnxRow * units + o];
        kernel[r * units + o] = alpha == 1f ? v : alpha * v;
      }
    }
    Field f = layer(x, "@Dense(units = " + units + ")", "Dense", TensorShape.vector(units), Layout.FLAT);
    f.tensors.add(new Checkpoint.Tensor(f.name + ".kernel", new int[] {in, units}, kernel));
    f.dense = true;
    f.units = units;
    return f;
  }

  private void batchNorm() throws OnnxImportException {
    onlyFirstOutputUsed();
    if (intAttr("training_mode", 0) != 0) {
      throw unsupported("training_mode = 1: Kiln imports inference graphs");
    }
    Value x = spatial(0);
    int c = x.shape().channels();
    float epsilon = floatAttr("epsilon", 1e-5f);
    StringBuilder a = new StringBuilder("@BatchNorm(epsilon = ").append(number(epsilon));
    if (hasAttr("momentum") && floatAttr("momentum", 0.9f) != 0.99f) {
      a.append(", momentum = ").append(number(floatAttr("momentum", 0.9f)));
    }
    a.append(")");
    Field f = layer(x, a.toString(), "BatchNorm", x.shape(), Layout.NCHW);
    String[] names = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int i = 0; i < 4; i++) {
      f.tensors.add(vector(f.name + "." + names[i], constant(i + 1, names[i]), c, 1f));
    }
  }

  private void add() throws OnnxImportException {
    List<Value> sources = new ArrayList<>();
    Constant bias = null;
    for (int i = 0; i < node.getInputCount(); i++) {
      if (constants.containsKey(node.getInput(i))) {
        if (bias != null) {
          throw unsupported("it adds two constants to a tensor");
        }
        bias = constants.get(node.getInput(i));
      } else {
        sources.add(values.get(node.getInput(i)));
      }
    }
    if (bias != null) {
      // MatMul then Add: the dense layer's bias.
      Value x = sources.size() == 1 ? sources.get(0) : null;
      Field f = x == null ? null : byName.get(x.layer());
      if (f == null || !f.dense || f.hasBias || f.activation != null || reads(x) != 1) {
        throw unsupported("it adds a constant to a tensor other than a MatMul's without a bias:"
            + " Kiln adds constants only as a dense layer's bias");
      }
      f.tensors.add(vector(f.name + ".bias", bias, f.units, 1f));
      f.hasBias = true;
      f.nodes.add(describe());
      alias(x);
      return;
    }
    if (sources.size() < 2) {
      alias(sources.get(0));
      return;
    }
    Value first = sources.get(0);
    for (Value v : sources) {
      if (!v.shape().equals(first.shape()) || v.layout() != first.layout()
          || (v.layout() != Layout.NCHW && v.layout() != Layout.FLAT)) {
        throw unsupported("it adds tensors of shapes or layouts Kiln cannot add elementwise ("
            + String.join(", ", sources.stream().map(s -> s.shape() + " " + s.layout()).toList())
            + ")");
      }
    }
    merge(sources, "@Add", "Add", first.shape(), first.layout());
  }

  private void concat() throws OnnxImportException {
    List<Value> sources = new ArrayList<>();
    for (int i = 0; i < node.getInputCount(); i++) {
      sources.add(spatial(i));
    }
    long axis = intAttr("axis", 1);
    if (axis != 1 && axis != -3) {
      throw unsupported("axis " + axis + ": Kiln concatenates channels (axis 1 of NCHW)");
    }
    int channels = 0;
    TensorShape first = sources.get(0).shape();
    for (Value v : sources) {
      if (v.shape().height() != first.height() || v.shape().width() != first.width()) {
        throw unsupported("its inputs' heights and widths differ");
      }
      channels += v.shape().channels();
    }
    if (sources.size() == 1) {
      alias(sources.get(0));
      return;
    }
    merge(sources, "@Concat", "Concat", TensorShape.of(first.height(), first.width(), channels),
        Layout.NCHW);
  }

  private void clip() throws OnnxImportException {
    float min = Float.NEGATIVE_INFINITY;
    float max = Float.POSITIVE_INFINITY;
    if (opset < 11) {
      min = floatAttr("min", min);
      max = floatAttr("max", max);
    } else {
      if (node.getInputCount() > 1 && !node.getInput(1).isEmpty()) {
        min = scalar(1, "min");
      }
      if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
        max = scalar(2, "max");
      }
    }
    if (min == 0f && max == 6f) {
      activation("@ReLU6");
    } else if (min == 0f && max == Float.POSITIVE_INFINITY) {
      activation("@ReLU");
    } else {
      throw unsupported("bounds " + min + " to " + max + ": Kiln has ReLU (0 to infinity) and ReLU6"
          + " (0 to 6)");
    }
  }

  private void softmax() throws OnnxImportException {
    Value x = values.get(node.getInput(0));
    if (x == null || x.layout() != Layout.FLAT) {
      throw unsupported("Softmax over " + (x == null ? "a constant" : "a " + x.layout() + " tensor")
          + ": Kiln's Softmax is over the features of a dense layer's output");
    }
    long axis = intAttr("axis", opset < 13 ? 1 : -1);
    if (axis != 1 && axis != -1) {
      throw unsupported("axis " + axis + " (Kiln's Softmax is over the features, axis 1)");
    }
    activation("@Softmax");
    byName.get(values.get(node.getOutput(0)).layer()).softmax =
        "node " + position + " of " + graph.getNodeCount() + ", '" + node.getName() + "' (Softmax)";
  }

  private void flatten() throws OnnxImportException {
    Value x = value(0);
    long axis = intAttr("axis", 1);
    if (axis != 1) {
      throw unsupported("axis " + axis + ": Kiln flattens all but the batch (axis 1)");
    }
    alias(flattened(x));
  }

  private void reshape() throws OnnxImportException {
    Value x = value(0);
    long[] target = constant(1, "shape").asInts();
    long[] shape = onnxShape(x);
    long size = x.shape().size();
    boolean flat =
        target.length == 2
            && (target[0] == 0 || target[0] == BATCH || (target[0] == -1 && target[1] == size))
            && (target[1] == -1 || target[1] == size);
    if (flat) {
      alias(flattened(x));
      return;
    }
    if (Arrays.equals(target, Arrays.copyOf(shape, shape.length))
        || (target.length == shape.length && sameBut0(target, shape))) {
      alias(x);
      return;
    }
    throw unsupported("shape " + Arrays.toString(target).replace(String.valueOf(BATCH), "N")
        + " of its input " + Arrays.toString(shape).replace(String.valueOf(BATCH), "N")
        + ": Kiln reshapes only to [N, features] (a flatten)");
  }

  private static boolean sameBut0(long[] target, long[] shape) {
    for (int i = 1; i < shape.length; i++) {
      if (target[i] != shape[i] && target[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private Value flattened(Value x) {
    return switch (x.layout()) {
      case NCHW -> new Value(x.layer(), x.shape(),
          x.shape().height() == 1 && x.shape().width() == 1 ? Layout.FLAT_HWC : Layout.FLAT_CHW);
      case NHWC -> new Value(x.layer(), x.shape(), Layout.FLAT_HWC);
      default -> x;
    };
  }

  private void transpose() throws OnnxImportException {
    Value x = value(0);
    long[] perm = perm(node);
    if (x.layout() == Layout.NCHW && Arrays.equals(perm, new long[] {0, 2, 3, 1})) {
      alias(new Value(x.layer(), x.shape(), Layout.NHWC));
    } else if (x.layout() == Layout.NHWC && Arrays.equals(perm, new long[] {0, 3, 1, 2})) {
      alias(new Value(x.layer(), x.shape(), Layout.NCHW));
    } else {
      throw unsupported("perm " + Arrays.toString(perm) + " of a " + x.layout() + " tensor: Kiln"
          + " transposes only between NCHW and NHWC");
    }
  }

  // ---------------------------------------------------------------- layers

  /** An activation: on its layer's field where nothing else reads the layer, else its own field. */
  private void activation(String annotation) throws OnnxImportException {
    Value x = value(0);
    Field f = byName.get(x.layer());
    if (f != null && f.activation == null && reads(x) == 1) {
      f.activation = annotation;
      f.nodes.add(describe());
      alias(x);
      return;
    }
    if (x.layout() == Layout.FLAT_CHW) {
      // Elementwise: Kiln applies it to the spatial layer, whose flatten stays CHW for ONNX.
      Field g = layer(x, annotation, annotation.substring(1), x.shape(), Layout.NCHW);
      values.put(node.getOutput(0), new Value(g.name, x.shape(), Layout.FLAT_CHW));
      return;
    }
    layer(x, annotation, annotation.substring(1), x.shape(), x.layout());
  }

  private void merge(List<Value> sources, String annotation, String kind, TensorShape shape,
      Layout layout) throws OnnxImportException {
    Field f = declare(kind, annotation, sources.stream().map(Value::layer).toList(), shape);
    values.put(node.getOutput(0), produced(f.name, shape, layout));
  }

  /** A new layer reading {@code x}; its output is the node's first output. */
  private Field layer(Value x, String annotation, String kind, TensorShape shape, Layout layout)
      throws OnnxImportException {
    Field f = declare(kind, annotation, List.of(x.layer()), shape);
    values.put(node.getOutput(0), produced(f.name, shape, layout));
    return f;
  }

  private Field declare(String kind, String annotation, List<String> from, TensorShape shape)
      throws OnnxImportException {
    Field f = new Field(fieldName(kind), annotation, from, shape);
    f.nodes.add(describe());
    fields.add(f);
    byName.put(f.name, f);
    return f;
  }

  private Value produced(String layer, TensorShape shape, Layout layout) {
    reads.merge(layer, consumers.getOrDefault(node.getOutput(0), 0), Integer::sum);
    return new Value(layer, shape, layout);
  }

  /**
   * The node's output is {@code x} (its input 0, maybe in another layout) under another name:
   * its readers read {@code x}'s layer instead of this node.
   */
  private void alias(Value x) {
    values.put(node.getOutput(0), x);
    reads.merge(x.layer(), consumers.getOrDefault(node.getOutput(0), 0) - 1, Integer::sum);
  }

  private int reads(Value x) {
    return reads.getOrDefault(x.layer(), 0);
  }

  /** The network's output: a flattened spatial output gets a @Flatten where the order is Kiln's. */
  private Value output(Value out) throws OnnxImportException {
    switch (out.layout()) {
      case FLAT_HWC -> {
        if (out.shape().flat()) {
          return out;
        }
        node = null;
        Field f = new Field(fieldName("Flatten"), "@Flatten", List.of(out.layer()),
            TensorShape.vector(out.shape().size()));
        f.nodes.add("(the graph's flatten)");
        fields.add(f);
        byName.put(f.name, f);
        return new Value(f.name, f.shape, Layout.FLAT);
      }
      case FLAT_CHW -> throw new OnnxImportException(
          "the graph's output flattens a " + out.shape() + " tensor in CHW order, where Kiln"
              + " flattens HWC; end the model with a dense layer, or output the spatial tensor");
      default -> {
        return out;
      }
    }
  }

  private String fieldName(String kind) {
    String base = null;
    if (node != null) {
      // A weight's module path names the layer best (PyTorch's "layer1.0.conv1.weight").
      for (int i = 1; i < node.getInputCount() && base == null; i++) {
        String in = node.getInput(i);
        if (constants.containsKey(in) && !in.startsWith("onnx::") && in.contains(".")) {
          base = in.substring(0, in.lastIndexOf('.'));
        }
      }
      if (base == null && !node.getName().isEmpty()) {
        base = node.getName();
        List<String> parts = new ArrayList<>();
        for (String p : base.split("/")) {
          if (!p.isEmpty()) {
            parts.add(p);
          }
        }
        if (parts.size() > 1 && parts.get(parts.size() - 1).replaceAll("_\\d+$", "")
            .equals(node.getOpType())) {
          parts.remove(parts.size() - 1);
        }
        base = String.join("_", parts);
      }
    }
    String name = Identifiers.javaName(base == null || base.isEmpty() ? kind : base);
    String unique = name;
    for (int i = 2; !names.add(unique); i++) {
      unique = name + "_" + i;
    }
    return unique;
  }

  // ---------------------------------------------------------------- the declaration

  private ImportedNetwork network(Value out) {
    StringBuilder s = new StringBuilder();
    if (!packageName.isEmpty()) {
      s.append("package ").append(packageName).append(";\n\n");
    }
    Set<String> imports = new TreeSet<>();
    imports.add("dev.kiln.annotations.Network");
    imports.add("dev.kiln.annotations.Shape");
    imports.add("dev.kiln.runtime.Layer");
    List<String> lines = new ArrayList<>();
    List<ImportedNetwork.Layer> layers = new ArrayList<>();
    List<Checkpoint.Tensor> tensors = new ArrayList<>();
    String previous = "@input";
    for (Field f : fields) {
      List<String> from = f.from;
      String fromText = "";
      if (!from.equals(List.of(previous))) {
        List<String> quoted = new ArrayList<>();
        for (String name : from) {
          quoted.add(name.equals("@input") ? "From.INPUT" : "\"" + name + "\"");
        }
        fromText = quoted.size() == 1 ? " @From(" + quoted.get(0) + ")"
            : " @From({" + String.join(", ", quoted) + "})";
        imports.add("dev.kiln.annotations.From");
      }
      String annotation =
          f.dense ? "@Dense(units = " + f.units + (f.hasBias ? "" : ", bias = false") + ")"
              : f.annotation;
      String annotations = annotation + fromText + (f.activation == null ? "" : " " + f.activation);
      for (String a : annotations.split(" ")) {
        if (a.startsWith("@")) {
          imports.add("dev.kiln.annotations." + a.substring(1).replaceAll("\\(.*", ""));
        }
      }
      if (annotations.contains("Padding.")) {
        imports.add("dev.kiln.annotations.Padding");
      }
      lines.add("  // " + String.join(", ", f.nodes));
      lines.add("  " + annotations + " Layer " + f.name + ";");
      long params = 0;
      for (Checkpoint.Tensor t : f.tensors) {
        params += t.values().length;
      }
      tensors.addAll(f.tensors);
      layers.add(new ImportedNetwork.Layer(f.name, annotations, f.shape, params, f.nodes));
      previous = f.name;
    }
    for (String i : imports) {
      s.append("import ").append(i).append(";\n");
    }
    String producer =
        model.getProducerName().isEmpty() ? ""
            : model.getProducerName()
                + (model.getProducerVersion().isEmpty() ? "" : " " + model.getProducerVersion())
                + ", ";
    String in = graph.getInput(0).getName();
    for (ValueInfoProto v : graph.getInputList()) {
      if (!constants.containsKey(v.getName())) {
        in = v.getName();
      }
    }
    s.append("\n/**\n")
        .append(" * Imported by Kiln from ")
        .append(fileName == null ? "an ONNX model" : "{@code " + fileName + "}")
        .append(" (").append(producer).append("opset ").append(opset).append(").\n")
        .append(" * It takes one ").append(inputShape).append(" sample, NHWC, where the ONNX")
        .append(" model's input '").append(in).append("' was ").append(inputLayout).append(";\n")
        .append(" * it gives ").append(out.shape()).append(" per sample");
    if (out.layout() == Layout.NCHW) {
      s.append(" (NHWC; the ONNX model's output was NCHW)");
    }
    s.append(". The weights, in Kiln's layout, are in {@code ").append(className)
        .append(".safetensors}:\n")
        .append(" * {@code Checkpoint.load(").append(className).append("Model.create(0), file)}.\n")
        .append(" */\n")
        .append("@Network(input = @Shape(height = ").append(inputShape.height())
        .append(", width = ").append(inputShape.width())
        .append(", channels = ").append(inputShape.channels()).append("))\n")
        .append("public abstract class ").append(className).append(" {\n");
    for (String line : lines) {
      s.append(line).append('\n');
    }
    s.append("}\n");
    return new ImportedNetwork(
        packageName, className, s.toString(), List.copyOf(tensors), List.copyOf(layers),
        inputShape, inputLayout, out.shape(), opset);
  }

  // ---------------------------------------------------------------- reading nodes

  private Value value(int i) throws OnnxImportException {
    String name = node.getInput(i);
    Value v = values.get(name);
    if (v == null) {
      throw unsupported("its input " + i + " ('" + name + "') is a constant; Kiln's layers read"
          + " the network's tensors");
    }
    return v;
  }

  private Value spatial(int i) throws OnnxImportException {
    Value v = value(i);
    if (v.layout() != Layout.NCHW) {
      throw unsupported("its input '" + node.getInput(i) + "' is " + v.layout() + " " + v.shape()
          + "; Kiln's spatial layers read NCHW tensors (in ONNX's terms)");
    }
    return v;
  }

  private Value flat(int i) throws OnnxImportException {
    Value v = value(i);
    if (!v.layout().flat()) {
      throw unsupported("its input '" + node.getInput(i) + "' is " + v.layout() + " " + v.shape()
          + " and not [N, features]; flatten it first");
    }
    return v;
  }

  private Constant constant(int i) throws OnnxImportException {
    return constant(i, "input " + i);
  }

  private Constant constant(int i, String what) throws OnnxImportException {
    if (i >= node.getInputCount() || node.getInput(i).isEmpty()) {
      throw fail("it has no " + what);
    }
    Constant c = constants.get(node.getInput(i));
    if (c == null) {
      throw unsupported("its " + what + " ('" + node.getInput(i) + "') is computed at run time;"
          + " Kiln takes weights that are initializers or constants");
    }
    return c;
  }

  private float scalar(int i, String what) throws OnnxImportException {
    Constant c = constant(i, what);
    if (c.count() != 1) {
      throw unsupported("its " + what + " is not a scalar");
    }
    return c.asFloats()[0];
  }

  private Checkpoint.Tensor vector(String name, Constant c, int n, float scale)
      throws OnnxImportException {
    float[] v = c.asFloats();
    if (v.length != n && v.length != 1) {
      throw unsupported(name + " has " + v.length + " values where the layer has " + n);
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      float x = v.length == 1 ? v[0] : v[i];
      out[i] = scale == 1f ? x : scale * x;
    }
    return new Checkpoint.Tensor(name, new int[] {n}, out);
  }

  private void onlyFirstOutputUsed() throws OnnxImportException {
    for (int i = 1; i < node.getOutputCount(); i++) {
      String out = node.getOutput(i);
      if (!out.isEmpty() && consumers.getOrDefault(out, 0) > 0) {
        throw unsupported("its output " + i + " ('" + out + "') is read; Kiln computes only the"
            + " first output of " + node.getOpType());
      }
    }
  }

  private void noDilation() throws OnnxImportException {
    for (long d : ints("dilations")) {
      if (d != 1) {
        throw unsupported("dilations " + Arrays.toString(ints("dilations"))
            + ": Kiln's windows read adjacent cells (dilation 1)");
      }
    }
  }

  private AttributeProto attr(String name) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  private boolean hasAttr(String name) {
    return attr(name) != null;
  }

  private long intAttr(String name, long otherwise) {
    AttributeProto a = attr(name);
    return a == null ? otherwise : a.getI();
  }

  private float floatAttr(String name, float otherwise) {
    AttributeProto a = attr(name);
    return a == null ? otherwise : a.getF();
  }

  private String stringAttr(String name, String otherwise) {
    AttributeProto a = attr(name);
    return a == null ? otherwise : a.getS().toStringUtf8();
  }

  private long[] ints(String name) {
    AttributeProto a = attr(name);
    return a == null ? new long[0] : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  private int[] pairAttr(String name, int h, int w) throws OnnxImportException {
    long[] v = ints(name);
    if (v.length == 0) {
      return new int[] {h, w};
    }
    if (v.length != 2 || v[0] <= 0 || v[1] <= 0 || v[0] > Integer.MAX_VALUE || v[1] > Integer.MAX_VALUE) {
      throw unsupported(name + " " + Arrays.toString(v) + " (Kiln's windows are 2-D)");
    }
    return new int[] {(int) v[0], (int) v[1]};
  }

  private static String pair(int[] v) {
    return v[0] == v[1] ? String.valueOf(v[0]) : "{" + v[0] + ", " + v[1] + "}";
  }

  /** A float as the declaration writes it: the shortest decimal that reads back as the float. */
  private static String number(float f) {
    return Float.toString(f);
  }

  private Constant constantAttribute() throws IOException {
    for (AttributeProto a : node.getAttributeList()) {
      switch (a.getName()) {
        case "value" -> {
          return Constant.of(a.getT(), file);
        }
        case "value_float" -> {
          return new Constant(new long[0], new float[] {a.getF()}, null);
        }
        case "value_floats" -> {
          float[] f = new float[a.getFloatsCount()];
          for (int i = 0; i < f.length; i++) {
            f[i] = a.getFloats(i);
          }
          return new Constant(new long[] {f.length}, f, null);
        }
        case "value_int" -> {
          return new Constant(new long[0], null, new long[] {a.getI()});
        }
        case "value_ints" -> {
          long[] l = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
          return new Constant(new long[] {l.length}, null, l);
        }
        default -> {}
      }
    }
    throw unsupported("a Constant without a numeric value");
  }

  // ---------------------------------------------------------------- errors

  private String describe() {
    return (node.getName().isEmpty() ? "#" + position : node.getName()) + " (" + node.getOpType() + ")";
  }

  private OnnxImportException fail(String why) {
    return new OnnxImportException(
        "node " + position + " of " + graph.getNodeCount() + ", '" + node.getName() + "' ("
            + node.getOpType() + "): " + why);
  }

  private OnnxImportException unsupported(String why) {
    return new OnnxImportException(
        "node " + position + " of " + graph.getNodeCount() + ", '" + node.getName() + "' ("
            + node.getOpType() + "), cannot be imported: " + why + ". Kiln imports " + SUPPORTED);
  }
}
