package dev.kiln.samples.commands;

import dev.kiln.onnx.Onnx;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./kiln export}: a trained checkpoint as an ONNX model, for ONNX Runtime and the tools
 * that take ONNX. The model takes NHWC input, as {@code predict} does (see docs/onnx.md).
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes a trained checkpoint (LeNet-5, or any network ./kiln mnist or ./kiln ladder trains)"
          + " as an ONNX model (opset " + Onnx.OPSET + "): input 'input' [N, 28, 28, 1] in NHWC"
          + " order as predict takes it, any batch size N; output 'output' [N, 10]."
    })
public final class ExportCommand implements Callable<Integer> {

  @Option(
      names = "--model",
      paramLabel = "NAME",
      description =
          "Network: lenet5, resnet, inception, mobilenet (the names mnist --model uses) or a"
              + " ladder rung's softmax, relu-normal, relu-xavier, deep-dropout, cnn2, cnn3"
              + " (default: the one the checkpoint records, else lenet5).")
  String model;

  @Option(
      names = "--checkpoint",
      paramLabel = "FILE",
      description =
          "Checkpoint, as ./kiln mnist writes it (default: <model>.safetensors, e.g."
              + " lenet5.safetensors).")
  Path checkpoint;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "The ONNX file to write (default: <model>.onnx, e.g. lenet5.onnx).")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintStream stdout = System.out;
    Map<String, LongFunction<Model>> networks = ShowCommand.networks();
    String key = model == null ? null : model.strip().toLowerCase(Locale.ROOT);
    if (key != null && !networks.containsKey(key)) {
      throw new UsageError(
          "unknown --model '" + model + "'; choose one of " + String.join(", ", networks.keySet()));
    }
    if (out != null) {
      OptionChecks.writableFile("--out", out);
    }
    String name = key == null ? "lenet5" : key;
    Path checkpoint = this.checkpoint != null ? this.checkpoint : Path.of(name + ".safetensors");
    if (!Files.isRegularFile(checkpoint)) {
      boolean mnistTrainsIt =
          Arrays.stream(MnistCommand.Architecture.values()).anyMatch(a -> a.name().equalsIgnoreCase(name));
      throw new FileNotFoundException(
          "checkpoint " + checkpoint + (Files.exists(checkpoint) ? " is not a file" : " not found")
              + (mnistTrainsIt
                  ? "; train one with ./kiln mnist" + (name.equals("lenet5") ? "" : " --model " + name)
                      + " (it writes " + name + ".safetensors) or pass --checkpoint FILE"
                  : "; pass --checkpoint FILE"));
    }
    Map<String, String> about = Checkpoint.metadata(checkpoint);
    // The network the checkpoint says it holds picks the model, or tells a wrong --model.
    String recorded = about.get("network");
    String recordedModel = recorded == null ? null : ShowCommand.modelOf(recorded);
    String madeBy = about.containsKey("command") ? " (from " + about.get("command") + ")" : "";
    if (key == null && recorded != null && recordedModel == null) {
      throw new UsageError(
          checkpoint + " holds " + recorded + madeBy + ", which export does not know; it exports "
              + String.join(", ", networks.keySet()));
    }
    if (key == null) {
      key = recordedModel != null ? recordedModel : "lenet5";
    }
    Path target = out != null ? out : Path.of(key + ".onnx");
    OptionChecks.writableFile("--out", target);
    Model net = networks.get(key).apply(0);
    if (recorded != null && !recorded.equals(net.name())) {
      throw new UsageError(
          checkpoint + " holds " + recorded + madeBy + ", not " + net.name()
              + (recordedModel != null
                  ? "; export it with --model " + recordedModel + " (or leave --model out)"
                  : ""));
    }
    Checkpoint.load(net, checkpoint); // a corrupt or mismatched file: one line, exit status 1
    stdout.println(ShowCommand.describe(checkpoint, about));
    long start = System.nanoTime();
    Onnx.export(net, target);
    long millis = (System.nanoTime() - start) / 1_000_000;
    String input = net.inputShape().flat() ? "[N," + net.inputSize() + "]" : "[N," + shape(net.inputShape()) + "]";
    String output =
        net.outputShape().flat() ? "[N," + net.outputSize() + "]" : "[N," + shape(net.outputShape()) + "]";
    stdout.printf(
        "Wrote %s: %s as ONNX (opset %d), input 'input' %s NHWC, output 'output' %s, %,d bytes in %d ms%n",
        target, net.name(), Onnx.OPSET, input, output, Files.size(target), millis);
    stdout.println(
        "RESULT task=export model=" + net.name() + " checkpoint=" + checkpoint + " out=" + target
            + " opset=" + Onnx.OPSET + " input=" + input.replace(" ", "") + " layout=NHWC output="
            + output + " params=" + net.parameterCount() + " bytes=" + Files.size(target));
    return 0;
  }

  private static String shape(TensorShape s) {
    return s.height() + "," + s.width() + "," + s.channels();
  }
}
