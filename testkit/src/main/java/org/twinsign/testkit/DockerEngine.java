package org.twinsign.testkit;

import org.testcontainers.DockerClientFactory;

/**
 * Whether Testcontainers can start containers here. Asked once per JVM. A machine with only the
 * Docker client and no engine (as the project's CI machines are) answers no, and the fixtures
 * run local processes instead. {@code TWINSIGN_TESTCONTAINERS=off} forces the local path.
 */
public final class DockerEngine {
  private static volatile Boolean available;

  private DockerEngine() {}

  public static boolean available() {
    Boolean known = available;
    if (known == null) {
      known = !"off".equalsIgnoreCase(System.getenv("TWINSIGN_TESTCONTAINERS")) && probe();
      available = known;
    }
    return known;
  }

  private static boolean probe() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
