package dev.kiln.processor;

import com.google.auto.service.AutoService;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.emit.ModelEmitter;
import dev.kiln.processor.emit.opencl.OpenClEmitter;
import dev.kiln.processor.infer.Analyzer;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Planner;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlanner;
import dev.kiln.processor.read.Annotations;
import dev.kiln.processor.read.DeclarationReader;
import dev.kiln.processor.read.ElementOrigin;
import dev.kiln.processor.read.UnreadableDeclarationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * Kiln's annotation processor. A thin driver over the stages: read ({@link DeclarationReader}),
 * validate and infer ({@link Analyzer}), plan ({@link Planner}), emit ({@link ModelEmitter}).
 * Diagnostics from all stages are reported on their elements; if any is an error, nothing is
 * generated for that network, so users never see follow-on errors from half-generated code.
 */
@AutoService(Processor.class)
@SupportedAnnotationTypes("dev.kiln.annotations.*")
public final class KilnProcessor extends AbstractProcessor {

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    Reporter reporter = new Reporter(processingEnv.getMessager());
    Set<Element> checkedFields = new HashSet<>(); // a field with @Dense @ReLU is seen twice
    for (TypeElement annotation : annotations) {
      String name = annotation.getQualifiedName().toString();
      for (Element element : round.getElementsAnnotatedWith(annotation)) {
        if (name.equals(Annotations.NETWORK)) {
          processNetwork((TypeElement) element, reporter);
        } else if (Annotations.isFieldAnnotation(name) && checkedFields.add(element)) {
          checkEnclosedByNetwork(element, reporter);
        }
      }
    }
    return false;
  }

  private void processNetwork(TypeElement type, Reporter reporter) {
    try {
      AnnotationMirror network = mirror(type, Annotations.NETWORK);
      NetworkDeclaration declaration =
          new DeclarationReader(processingEnv.getElementUtils(), processingEnv.getTypeUtils())
              .read(type, network);
      Diagnostics diagnostics = new Diagnostics();
      Optional<NetworkModel> model = new Analyzer(diagnostics).analyze(declaration);
      reporter.report(diagnostics.all());
      if (model.isEmpty()) {
        return;
      }
      Plan plan = Planner.plan(model.get());
      TrainingPlan training = TrainingPlanner.plan(plan);
      // A nested class of the network named like a class the code names would be picked up.
      TypeSpec generated =
          ModelEmitter.emit(plan, training)
              .avoidClashesWithNestedClasses(type)
              .addOriginatingElement(type)
              .build();
      JavaFile.builder(model.get().packageName(), generated)
          .skipJavaLangImports(true)
          .indent("  ")
          .build()
          .writeTo(processingEnv.getFiler());
      writeOpenCl(training, type);
    } catch (UnreadableDeclarationException e) {
      // javac has already reported the unresolved value; a second error would only confuse.
    } catch (IOException e) {
      processingEnv
          .getMessager()
          .printMessage(
              Diagnostic.Kind.ERROR,
              "[kiln:write-failed] could not write the generated model for "
                  + type.getSimpleName()
                  + ": "
                  + e.getMessage(),
              type);
    } catch (RuntimeException | Error e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      processingEnv
          .getMessager()
          .printMessage(
              Diagnostic.Kind.ERROR,
              "[kiln:internal] Kiln failed on "
                  + type.getSimpleName()
                  + "; this is a bug in Kiln, please report it with this message: "
                  + e
                  + "\n"
                  + trace,
              type);
    }
  }

  /** Layer annotations only mean something inside a {@code @Network} class. */
  private void checkEnclosedByNetwork(Element field, Reporter reporter) {
    Element owner = field.getEnclosingElement();
    if (owner != null && mirror(owner, Annotations.NETWORK) != null) {
      return;
    }
    // One error per field, on its first Kiln annotation in source order.
    AnnotationMirror mirror = null;
    for (AnnotationMirror m : field.getAnnotationMirrors()) {
      TypeElement type = (TypeElement) m.getAnnotationType().asElement();
      if (Annotations.isFieldAnnotation(type.getQualifiedName().toString())) {
        mirror = m;
        break;
      }
    }
    reporter.error(
        new ElementOrigin(field, mirror),
        "outside-network",
        field.getSimpleName()
            + ": @"
            + mirror.getAnnotationType().asElement().getSimpleName()
            + " declares a layer, but "
            + (owner == null ? "its owner" : owner.getSimpleName())
            + " is not annotated @Network; add @Network(input = @Shape(...)) to the class");
  }

  static AnnotationMirror mirror(Element element, String qualifiedName) {
    for (AnnotationMirror mirror : element.getAnnotationMirrors()) {
      TypeElement type = (TypeElement) mirror.getAnnotationType().asElement();
      if (type.getQualifiedName().contentEquals(qualifiedName)) {
        return mirror;
      }
    }
    return null;
  }

  /**
   * The network's OpenCL C program, a resource beside the generated class: {@code
   * <Name>Model.cl} in the same package ({@code dev.kiln.opencl} loads it).
   */
  private void writeOpenCl(TrainingPlan training, TypeElement type) throws IOException {
    String source = OpenClEmitter.emit(training);
    NetworkModel model = training.plan().model();
    FileObject file =
        processingEnv
            .getFiler()
            .createResource(
                StandardLocation.CLASS_OUTPUT, model.packageName(), model.generatedName() + ".cl", type);
    try (Writer writer = file.openWriter()) {
      writer.write(source);
    }
  }
}
