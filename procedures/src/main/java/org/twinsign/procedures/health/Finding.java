package org.twinsign.procedures.health;

/**
 * One line of the health screen: the area it concerns ({@code topology}, {@code replication},
 * {@code hsm beta}, {@code zone example.com}), how it stands, what was seen, and what to do when
 * it is not OK (empty when it is).
 */
public record Finding(String area, State state, String text, String todo) {
  public static Finding ok(String area, String text) {
    return new Finding(area, State.OK, text, "");
  }
}
