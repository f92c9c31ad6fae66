package dev.kiln.processor.infer;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.ActivationDeclaration;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The validate-and-infer stage: from a declaration to an immutable {@link NetworkModel}, or to
 * diagnostics. Pure: it never touches {@code javax.lang.model}, so it is tested on its own.
 *
 * <p>Every rule reports and carries on, so one build shows every mistake. Once a layer's output
 * shape is unknown, later layers are still checked for their own values but no longer for shapes,
 * so one mistake does not cause a cascade of follow-on errors.
 */
public final class Analyzer {
  /** Largest parameter array a JVM can allocate, with headroom for array headers. */
  static final long MAX_PARAMETERS = Integer.MAX_VALUE - 16;

  /** Largest activation: the generated model keeps two of them in one float[] workspace. */
  static final long MAX_ACTIVATION = MAX_PARAMETERS / 2;

  private final Diagnostics diagnostics;

  public Analyzer(Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
  }

  /** The model, or empty if any error was reported. */
  public Optional<NetworkModel> analyze(NetworkDeclaration declaration) {
    if (!DeclarationRules.checkClass(declaration, diagnostics)) {
      return Optional.empty();
    }
    TensorShape input = DeclarationRules.checkInput(declaration, diagnostics);

    List<FieldDeclaration> layerFields = new ArrayList<>();
    for (FieldDeclaration field : declaration.fields()) {
      if (DeclarationRules.checkField(declaration, field, diagnostics)) {
        layerFields.add(field);
      }
    }
    if (layerFields.isEmpty()) {
      diagnostics.error(
          declaration.origin(),
          null,
          "no-layers",
          "network "
              + declaration.simpleName()
              + " declares no layers; add fields such as '@Conv2D(filters = 6, kernel = 5) Layer"
              + " c1;' or '@Dense(units = 10) @Softmax Layer output;'");
      return Optional.empty();
    }

    List<Node> nodes = new ArrayList<>();
    Sources sources = new Sources(input, layerFields, diagnostics);
    boolean allKnown = true;
    for (int i = 0; i < layerFields.size(); i++) {
      FieldDeclaration field = layerFields.get(i);
      boolean last = i == layerFields.size() - 1;
      List<Sources.Source> read = sources.resolve(field, merge(field));
      List<Node> made = read == null ? null : inferField(field, read, nodes.size(), last);
      if (made != null && tooLarge(field.name(), made)) {
        made = null;
      }
      if (made == null) {
        allKnown = false;
        sources.unknown(field.name());
      } else {
        nodes.addAll(made);
        sources.known(field.name(), nodes.size() - 1, made.get(made.size() - 1).output());
      }
    }
    TensorShape shape = allKnown ? nodes.get(nodes.size() - 1).output() : null;
    if (shape != null) {
      // Only for a fully inferred network: with a layer missing, an earlier one would look last.
      NetworkWarnings.check(nodes, diagnostics);
    }

    long parameters = nodes.stream().mapToLong(Node::parameterCount).sum();
    if (parameters > MAX_PARAMETERS) {
      diagnostics.error(
          declaration.origin(),
          null,
          "too-many-parameters",
          "network "
              + declaration.simpleName()
              + " has "
              + parameters
              + " parameters, more than one Java float[] can hold ("
              + MAX_PARAMETERS
              + "); use fewer filters or units, or pool before the first Dense");
    }
    if (!diagnostics.hasErrors() && shape != null) {
      long training = trainingWorkspace(nodes);
      if (training > MAX_PARAMETERS) {
        diagnostics.error(
            declaration.origin(),
            null,
            "workspace-too-large",
            "network "
                + declaration.simpleName()
                + ": training keeps every layer's output, each dropout mask and the gradients"
                + " still to be used, up to "
                + training
                + " floats, more than one Java float[] can hold ("
                + MAX_PARAMETERS
                + "); use fewer filters, a larger stride, or pool earlier");
      }
    }
    if (diagnostics.hasErrors() || shape == null) {
      return Optional.empty();
    }
    String generatedName = declaration.simpleName() + "Model";
    return Optional.of(
        new NetworkModel(
            declaration.packageName(),
            declaration.simpleName(),
            declaration.qualifiedName(),
            generatedName,
            input,
            nodes));
  }

  /**
   * An upper bound of the floats TrainingPlanner puts in one training thread's workspace: the
   * output of every layer that computes something (a Flatten without activation does not), a
   * mask per dropout, and the output gradients, of which there is at most one per layer at a time
   * plus one fresh region for the layer being worked on. (It counts the last layer's Softmax or
   * Sigmoid, which the loss computes instead, so it may exceed the plan's.)
   */
  private static long trainingWorkspace(List<Node> nodes) {
    long outputs = 0;
    long gradients = 0;
    long largest = 1;
    for (Node node : nodes) {
      long size = node.output().size();
      if (!node.op().identityInTraining() || node.activationFunction().isPresent()) {
        outputs += size + node.op().trainingMaskSize(node.output());
      }
      gradients += size;
      largest = Math.max(largest, size);
    }
    return outputs + gradients + largest;
  }

  private static boolean merge(FieldDeclaration field) {
    return !field.layers().isEmpty()
        && field.layers().get(0).merges();
  }

  /** Reports the first node whose output cannot fit in half of the workspace array. */
  private boolean tooLarge(String name, List<Node> made) {
    for (Node node : made) {
      long size = node.output().size();
      if (size > MAX_ACTIVATION) {
        diagnostics.error(
            node.origin(),
            null,
            "activation-too-large",
            name
                + ": its output "
                + node.output()
                + " has "
                + size
                + " values, but the generated model keeps two activations in one Java float[],"
                + " so each may have at most "
                + MAX_ACTIVATION
                + "; use fewer filters, a larger stride, or pool earlier");
        return true;
      }
    }
    return false;
  }

  /**
   * The nodes one field makes (the implicit flatten and the layer), or null if its output shape
   * is unknown. {@code input} is null when an earlier layer's shape is unknown.
   */
  private List<Node> inferField(
      FieldDeclaration field, List<Sources.Source> read, int index, boolean last) {
    if (field.layers().size() > 1) {
      LayerDeclaration second = field.layers().get(1);
      diagnostics.error(
          second.origin(),
          null,
          "two-layers",
          field.name()
              + ": one field declares one layer, but it has @"
              + field.layers().get(0).annotationName()
              + " and @"
              + second.annotationName()
              + "; move @"
              + second.annotationName()
              + " to a field of its own");
    }
    if (field.activations().size() > 1) {
      ActivationDeclaration second = field.activations().get(1);
      diagnostics.error(
          second.origin(),
          null,
          "two-activations",
          field.name()
              + ": a layer takes one activation, but it has @"
              + field.activations().get(0).annotationName()
              + " and @"
              + second.annotationName()
              + "; keep one, or put @"
              + second.annotationName()
              + " on a field of its own after it");
    }
    Optional<Activation> activation = Optional.empty();
    boolean activationOk = true;
    if (!field.activations().isEmpty()) {
      activation = LayerRules.activation(field, field.activations().get(0), last, diagnostics);
      activationOk = activation.isPresent();
    }

    if (field.layers().isEmpty() && field.activations().isEmpty()) {
      diagnostics.error(
          field.from().orElseThrow().origin(),
          null,
          "from-without-layer",
          field.name()
              + ": @From says what a layer reads, but the field declares no layer; add one (e.g."
              + " @Add) or remove the field");
      return null;
    }
    Sources.Source first = read.get(0);
    TensorShape input = first.shape();
    List<Node> made;
    if (field.layers().isEmpty()) {
      // A field holding only an activation is a layer of its own.
      if (!activationOk || input == null) {
        return null;
      }
      made =
          List.of(
              new Node(
                  field.name(),
                  new Op.Activate(activation.get()),
                  Optional.empty(),
                  first.index(),
                  input,
                  input,
                  field.activations().get(0).origin()));
    } else {
      made = LayerRules.infer(field.name(), field.layers().get(0), activation, read, index, diagnostics);
    }
    if (made == null || !activationOk) {
      return null;
    }
    TensorShape output = made.get(made.size() - 1).output();
    if (activation.isPresent()
        && activation.get().kind() == Activation.Kind.SOFTMAX
        && !output.flat()) {
      diagnostics.error(
          field.activations().get(0).origin(),
          null,
          "softmax-needs-vector",
          field.name()
              + ": Softmax turns a vector of logits into probabilities, but it gets "
              + output
              + "; put a @Dense layer (or @Flatten) before it");
      return null;
    }
    return made;
  }
}
