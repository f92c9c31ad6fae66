package dev.kiln.processor;

import com.google.testing.compile.Compilation;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.tools.JavaFileObject;

/**
 * A list of test networks compiled in one javac run on first use (one run per network would
 * take minutes): fresh models of each, and each one's OpenCL program.
 */
final class CompiledNets {
  private final Supplier<List<GradientTest.Net>> networks;
  private final long seed;
  private Map<String, byte[]> classes;
  private Map<String, String> programs;

  /** Models are created with {@code seed}; warnings are suppressed (tests set odd shapes). */
  CompiledNets(Supplier<List<GradientTest.Net>> networks, long seed) {
    this.networks = networks;
    this.seed = seed;
  }

  private void compile() {
    if (classes != null) {
      return;
    }
    List<JavaFileObject> sources = new ArrayList<>();
    for (GradientTest.Net n : networks.get()) {
      List<String> body = new ArrayList<>();
      body.add("@SuppressWarnings(\"kiln\")");
      body.add("static final int UNUSED = 0;");
      body.addAll(List.of(n.layers()));
      sources.add(Networks.network(n.name(), n.input(), body.toArray(new String[0])));
    }
    Compilation compilation = Networks.compile(sources.toArray(new JavaFileObject[0]));
    classes = CompiledModels.classFiles(compilation);
    programs = OpenClTests.programs(compilation);
  }

  /** A new model of {@code net}, its weights from the seed. */
  synchronized Model model(GradientTest.Net net) {
    compile();
    return CompiledModels.load(classes, net.name(), seed);
  }

  /** The OpenCL program of {@code net}. */
  synchronized String program(GradientTest.Net net) {
    compile();
    return programs.get(net.name() + "Model");
  }
}
