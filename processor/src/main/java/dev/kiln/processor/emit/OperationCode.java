package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.Window;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code dev.kiln.runtime.Operation} a generated {@code Layer} carries: what the layer
 * computes, written from the same model records the code is generated from, so that tools outside
 * the generated class (the ONNX exporter) read the network's kinds, windows, activations and
 * edges instead of parsing descriptions.
 */
final class OperationCode {
  static final ClassName OPERATION = ClassName.get(Names.RUNTIME, "Operation");
  private static final ClassName KIND = OPERATION.nestedClass("Kind");
  private static final ClassName ACTIVATION = OPERATION.nestedClass("Activation");
  /** {@code Operation.INPUT}, as {@code @From} spells the network's input. */
  private static final String INPUT = "@input";

  private OperationCode() {}

  /** {@code Operation.of(Kind.X, "source", ...).window(...).activation(...)} for {@code node}. */
  static CodeBlock of(Node node, List<Node> nodes) {
    CodeBlock.Builder code = CodeBlock.builder().add("$T.of($T.$L", OPERATION, KIND, kind(node.op()));
    for (String source : sources(node, nodes)) {
      code.add(", $S", source);
    }
    code.add(")");
    code.add(node.op().accept(new Attributes()));
    node.activationFunction().ifPresent(a -> activation(code, a));
    return code.build();
  }

  private static CodeBlock window(Window window) {
    return CodeBlock.of(
        ".window($L, $L, $L, $L, $L, $L, $L, $L)",
        window.kernelHeight(), window.kernelWidth(), window.strideHeight(), window.strideWidth(),
        window.padTop(), window.padBottom(), window.padLeft(), window.padRight());
  }

  private static void activation(CodeBlock.Builder code, Activation a) {
    if (a.kind() == Activation.Kind.LEAKY_RELU) {
      code.add(".activation($T.$L, $L)", ACTIVATION, a.kind().name(), a.alpha());
    } else {
      code.add(".activation($T.$L)", ACTIVATION, a.kind().name());
    }
  }

  /**
   * The names of the layers {@code node} reads; an implicit layer (the flatten Kiln puts before a
   * dense layer) is not one of the model's layers, so its own source stands for it.
   */
  private static List<String> sources(Node node, List<Node> nodes) {
    List<String> names = new ArrayList<>();
    for (int source : node.sources()) {
      while (source != Node.NETWORK_INPUT && nodes.get(source).implicit()) {
        source = nodes.get(source).sources().get(0);
      }
      names.add(source == Node.NETWORK_INPUT ? INPUT : nodes.get(source).name());
    }
    return names;
  }

  private static String kind(Op op) {
    return op.accept(
        new Op.Visitor<String>() {
          @Override
          public String conv(Op.Conv conv) {
            return "CONV_2D";
          }

          @Override
          public String depthwiseConv(Op.DepthwiseConv depthwiseConv) {
            return "DEPTHWISE_CONV_2D";
          }

          @Override
          public String pool(Op.Pool pool) {
            return switch (pool.pool()) {
              case MAX -> "MAX_POOL";
              case AVG -> "AVG_POOL";
              case GLOBAL_AVG -> "GLOBAL_AVG_POOL";
            };
          }

          @Override
          public String dense(Op.Dense dense) {
            return "DENSE";
          }

          @Override
          public String flatten(Op.Flatten flatten) {
            return "FLATTEN";
          }

          @Override
          public String dropout(Op.Dropout dropout) {
            return "DROPOUT";
          }

          @Override
          public String activate(Op.Activate activate) {
            return "ACTIVATION";
          }

          @Override
          public String batchNorm(Op.BatchNorm batchNorm) {
            return "BATCH_NORM";
          }

          @Override
          public String merge(Op.Merge merge) {
            return switch (merge.merge()) {
              case ADD -> "ADD";
              case CONCAT -> "CONCAT";
            };
          }
        });
  }

  /**
   * What a kind says beyond its name: the window of a convolution or pool, a batch norm's
   * epsilon; nothing for the others.
   */
  private static final class Attributes implements Op.Visitor<CodeBlock> {
    private static final CodeBlock NONE = CodeBlock.of("");

    @Override
    public CodeBlock conv(Op.Conv conv) {
      return window(conv.window());
    }

    @Override
    public CodeBlock depthwiseConv(Op.DepthwiseConv depthwiseConv) {
      return window(depthwiseConv.window());
    }

    @Override
    public CodeBlock pool(Op.Pool pool) {
      return window(pool.window());
    }

    @Override
    public CodeBlock dense(Op.Dense dense) {
      return NONE;
    }

    @Override
    public CodeBlock flatten(Op.Flatten flatten) {
      return NONE;
    }

    @Override
    public CodeBlock dropout(Op.Dropout dropout) {
      return NONE;
    }

    @Override
    public CodeBlock activate(Op.Activate activate) {
      return NONE;
    }

    @Override
    public CodeBlock batchNorm(Op.BatchNorm batchNorm) {
      return CodeBlock.of(".epsilon($L)", batchNorm.epsilon());
    }

    @Override
    public CodeBlock merge(Op.Merge merge) {
      return NONE;
    }
  }
}
