package dev.kiln.opencl;

import dev.kiln.runtime.OpenClProgramFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a generated OpenCL program says about itself in its {@code //@} lines: the sizes it was
 * specialized for and the kernels to launch in each phase ({@code forward}, {@code loss}, {@code
 * backward}, {@code infer}), in order.
 */
record Program(
    String source,
    int inputSize,
    int outputSize,
    int parameterCount,
    int workspace,
    int outputAt,
    int state,
    int statistics,
    int partials,
    String loss,
    String unsupported,
    Map<String, List<Launch>> phases) {

  /** One kernel launch: {@code count} work items per sample, or {@code count} in all. */
  record Launch(String kernel, boolean perSample, int count) {}

  static Program parse(String source, String origin) {
    Map<String, String> sizes = new HashMap<>();
    Map<String, List<Launch>> phases = new HashMap<>();
    String unsupported = null;
    boolean versioned = false;
    for (String line : source.split("\n")) {
      if (!line.startsWith("//@ ")) {
        continue;
      }
      String[] words = line.substring(4).trim().split("\\s+");
      switch (words[0]) {
        case "kiln-opencl" ->
            versioned =
                words.length == 2 && words[1].equals(String.valueOf(OpenClProgramFormat.VERSION));
        case "sizes" -> {
          for (int i = 1; i < words.length; i++) {
            String[] kv = words[i].split("=", 2);
            sizes.put(kv[0], kv[1]);
          }
        }
        case "unsupported" -> unsupported = line.substring(line.indexOf("unsupported") + 12);
        default -> {
          if (words.length != 4) {
            throw new OpenClException("malformed directive in " + origin + ": " + line);
          }
          phases
              .computeIfAbsent(words[0], k -> new ArrayList<>())
              .add(new Launch(words[1], words[2].equals("s"), Integer.parseInt(words[3])));
        }
      }
    }
    if (!versioned || !sizes.keySet().containsAll(List.of("input", "output", "parameters", "workspace", "output_at", "loss"))) {
      throw new OpenClException(
          origin + " is not an OpenCL program of this Kiln version (no '//@ kiln-opencl "
              + OpenClProgramFormat.VERSION + "' and"
              + " '//@ sizes' lines); recompile the network with this Kiln");
    }
    return new Program(
        source,
        Integer.parseInt(sizes.get("input")),
        Integer.parseInt(sizes.get("output")),
        Integer.parseInt(sizes.get("parameters")),
        Integer.parseInt(sizes.get("workspace")),
        Integer.parseInt(sizes.get("output_at")),
        Integer.parseInt(sizes.getOrDefault("state", "0")),
        Integer.parseInt(sizes.getOrDefault("statistics", "0")),
        Integer.parseInt(sizes.getOrDefault("partials", "0")),
        sizes.get("loss"),
        unsupported,
        phases);
  }

  List<Launch> phase(String name) {
    return phases.getOrDefault(name, List.of());
  }
}
