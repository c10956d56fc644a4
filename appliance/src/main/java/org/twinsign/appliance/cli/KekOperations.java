package org.twinsign.appliance.cli;

import java.util.List;

/** The KEK ceremony as a node of a pair carries it out between its HSMs and its peer's ({@code twinsign kek}). */
public interface KekOperations {
  /** Per repository: both nodes' check values and whether they are the same KEK. */
  List<String> status();

  /** Generates the KEK in this node's HSMs and hands it to the peer's under a one-time transport key. */
  List<String> generate();
}
