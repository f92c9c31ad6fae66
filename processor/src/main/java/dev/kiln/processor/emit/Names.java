package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import javax.lang.model.element.Modifier;

/** The runtime types generated code names, and the getter every writer adds. */
final class Names {
  static final String RUNTIME = "dev.kiln.runtime";
  static final ClassName MODEL = ClassName.get(RUNTIME, "Model");
  static final ClassName LAYER = ClassName.get(RUNTIME, "Layer");
  static final ClassName SHAPE = ClassName.get(RUNTIME, "TensorShape");
  static final ClassName INITIALIZER = ClassName.get(RUNTIME, "Initializer");
  static final ClassName CHECKS = ClassName.get(RUNTIME, "Checks");
  static final ClassName BATCHES = ClassName.get(RUNTIME, "Batches");
  static final ClassName LOSS = ClassName.get(RUNTIME, "Loss");
  static final ClassName KERNELS = ClassName.get("dev.kiln.runtime.kernels", "Kernels");
  static final ClassName BATCH = ClassName.get(RUNTIME, "TrainingBatch");
  static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");
  static final String PROCESSOR = "dev.kiln.processor.KilnProcessor";

  private Names() {}

  /** A public {@code @Override} method that returns {@code value}. */
  static MethodSpec getter(String name, java.lang.reflect.Type type, CodeBlock value) {
    return getter(name, TypeName.get(type), value);
  }

  static MethodSpec getter(String name, TypeName type, CodeBlock value) {
    return MethodSpec.methodBuilder(name)
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .returns(type)
        .addStatement("return $L", value)
        .build();
  }
}
