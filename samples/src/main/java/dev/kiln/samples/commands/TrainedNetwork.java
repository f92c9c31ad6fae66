package dev.kiln.samples.commands;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --checkpoint} of the commands that read a trained network ({@code
 * show}, {@code export}), and the one way they find it: the network the checkpoint records picks
 * the model unless {@code --model} names one, and a checkpoint of another network is a usage
 * error that says which it holds.
 */
final class TrainedNetwork {
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
              + " lenet5.safetensors or, with --model resnet, resnet.safetensors).")
  Path checkpoint;

  /** A network with its checkpoint, not loaded yet, and what the checkpoint says made it. */
  record Found(String key, Model net, Path checkpoint, Map<String, String> about) {}

  /** The --model name in lower case, or null; a name no command knows is a usage error. */
  String key() {
    String key = model == null ? null : model.strip().toLowerCase(Locale.ROOT);
    if (key != null && !ShowCommand.networks().containsKey(key)) {
      throw new UsageError(
          "unknown --model '" + model + "'; choose one of " + String.join(", ", ShowCommand.networks().keySet()));
    }
    return key;
  }

  /**
   * The network and its checkpoint for {@code command}, which does {@code verb} to it ("show",
   * "draw"): a missing checkpoint is a failure that says how to make one, a checkpoint of a
   * network the command does not know a failure, and one of another network than --model a usage
   * error.
   */
  Found find(String command, String verb) throws IOException {
    Map<String, LongFunction<Model>> networks = ShowCommand.networks();
    String key = key();
    String name = key == null ? "lenet5" : key;
    Path file = checkpoint != null ? checkpoint : Path.of(name + ".safetensors");
    if (!Files.isRegularFile(file)) {
      boolean mnistTrainsIt =
          Arrays.stream(MnistCommand.Architecture.values()).anyMatch(a -> a.name().equalsIgnoreCase(name));
      throw new FileNotFoundException(
          "checkpoint " + file + (Files.exists(file) ? " is not a file" : " not found")
              + (mnistTrainsIt
                  ? "; train one with ./kiln mnist" + (name.equals("lenet5") ? "" : " --model " + name)
                      + " (it writes " + name + ".safetensors) or pass --checkpoint FILE"
                  : "; pass --checkpoint FILE"));
    }
    Map<String, String> about = Checkpoint.metadata(file);
    String recorded = about.get("network");
    String recordedModel = recorded == null ? null : ShowCommand.modelOf(recorded);
    String madeBy = about.containsKey("command") ? " (from " + about.get("command") + ")" : "";
    if (key == null && recorded != null && recordedModel == null) {
      throw new IOException(
          file + " holds " + recorded + madeBy + ", which " + command + " cannot " + verb + "; it "
              + verb + "s " + String.join(", ", networks.keySet()));
    }
    if (key == null) {
      key = recordedModel != null ? recordedModel : "lenet5";
    }
    Model net = networks.get(key).apply(0);
    if (recorded != null && !recorded.equals(net.name())) {
      throw new UsageError(
          file + " holds " + recorded + madeBy + ", not " + net.name()
              + (recordedModel != null
                  ? "; " + verb + " it with --model " + recordedModel + " (or leave --model out)"
                  : ", which " + command + " cannot " + verb));
    }
    return new Found(key, net, file, about);
  }
}
