package dev.kiln.processor.model;

import java.util.List;

/**
 * A validated network with every shape inferred: the immutable model between the analysis and
 * the code generation stages.
 *
 * @param qualifiedName the declaring class's canonical name
 * @param generatedName simple name of the class Kiln generates
 */
public record NetworkModel(
    String packageName,
    String simpleName,
    String qualifiedName,
    String generatedName,
    TensorShape input,
    List<Node> nodes) {

  public NetworkModel {
    nodes = List.copyOf(nodes);
  }

  public TensorShape output() {
    return nodes.isEmpty() ? input : nodes.get(nodes.size() - 1).output();
  }

  public long parameterCount() {
    return nodes.stream().mapToLong(Node::parameterCount).sum();
  }

  public long multiplyAdds() {
    return nodes.stream().mapToLong(Node::multiplyAdds).sum();
  }
}
