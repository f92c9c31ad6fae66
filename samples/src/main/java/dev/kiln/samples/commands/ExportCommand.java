package dev.kiln.samples.commands;

import dev.kiln.onnx.Onnx;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
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

  @picocli.CommandLine.Mixin TrainedNetwork trained;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "The ONNX file to write (default: <model>.onnx, e.g. lenet5.onnx).")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintStream stdout = System.out;
    trained.key(); // an unknown --model before anything else
    if (out != null) {
      OptionChecks.writableFile("--out", out);
    }
    TrainedNetwork.Found found = trained.find("export", "export");
    Model net = found.net();
    Path checkpoint = found.checkpoint();
    Map<String, String> about = found.about();
    Path target = out != null ? out : Path.of(found.key() + ".onnx");
    OptionChecks.writableFile("--out", target);
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
