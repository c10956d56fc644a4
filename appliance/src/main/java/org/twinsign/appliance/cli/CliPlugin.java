package org.twinsign.appliance.cli;

import java.util.List;

/**
 * Commands another module adds to the {@code twinsign} CLI ({@code procedures}: {@code runbook},
 * {@code health}), found with {@link java.util.ServiceLoader} when the module is on the class
 * path. They run in the operator's CLI process and reach the pair through its admin endpoints, as
 * an operator would: a node never executes them.
 */
public interface CliPlugin {
  /** The picocli command objects (annotated with {@code @Command}) to add at the top level. */
  List<Object> commands();
}
