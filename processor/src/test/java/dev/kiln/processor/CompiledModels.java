package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;

import com.google.testing.compile.Compilation;
import dev.kiln.runtime.Model;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import javax.tools.JavaFileObject;

/** Compiles networks through the processor and loads the generated models in this JVM. */
final class CompiledModels {
  private CompiledModels() {}

  /** Class files of a successful compilation, by binary class name. */
  static Map<String, byte[]> classFiles(Compilation compilation) {
    assertThat(compilation).succeeded();
    Map<String, byte[]> classes = new HashMap<>();
    for (JavaFileObject file : compilation.generatedFiles()) {
      if (file.getKind() != JavaFileObject.Kind.CLASS) {
        continue;
      }
      String path = file.toUri().getPath();
      String name = path.substring(path.indexOf("/CLASS_OUTPUT/") + "/CLASS_OUTPUT/".length());
      name = name.substring(0, name.length() - ".class".length()).replace('/', '.');
      try (InputStream in = file.openInputStream()) {
        classes.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return classes;
  }

  /** Compiles one network source and returns {@code <className>Model.create(seed)}. */
  static Model create(JavaFileObject source, String className, long seed) {
    return load(classFiles(Networks.compile(source)), className, seed);
  }

  /** {@code test.<className>Model.create(seed)} from compiled classes. */
  static Model load(Map<String, byte[]> classes, String className, long seed) {
    return create(loader(classes), className, seed);
  }

  /** A class loader over compiled classes, to load many models of one compilation. */
  static ClassLoader loader(Map<String, byte[]> classes) {
    return new ClassLoader(CompiledModels.class.getClassLoader()) {
      @Override
      protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = classes.get(name);
        if (bytes == null) {
          throw new ClassNotFoundException(name);
        }
        return defineClass(name, bytes, 0, bytes.length);
      }
    };
  }

  /** {@code test.<className>Model.create(seed)} through {@code loader}. */
  static Model create(ClassLoader loader, String className, long seed) {
    try {
      Class<?> model = loader.loadClass("test." + className + "Model");
      return (Model) model.getMethod("create", long.class).invoke(null, seed);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("could not create test." + className + "Model", e);
    }
  }

  /** A network of the given layer lines with all weights set afterwards by the test. */
  static Model model(String name, String input, String... body) {
    return create(Networks.network(name, input, body), name, 1);
  }
}
