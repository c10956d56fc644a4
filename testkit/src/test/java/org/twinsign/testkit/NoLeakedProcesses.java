package org.twinsign.testkit;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a process running which it started through the testkit, and
 * stops that process so that it cannot disturb the next class. Registered for every test by
 * JUnit's extension auto-detection (see the parent pom), so no test can forget it.
 */
public final class NoLeakedProcesses implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(NoLeakedProcesses.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NAMESPACE).put("mark", ProcessRegistry.mark());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Long mark = context.getStore(NAMESPACE).get("mark", Long.class);
    if (mark == null) {
      return;
    }
    List<LocalProcess> leaked = ProcessRegistry.aliveSince(mark);
    if (leaked.isEmpty()) {
      return;
    }
    leaked.forEach(process -> process.stop(Duration.ofSeconds(5)));
    throw new AssertionError(context.getDisplayName() + " left processes running (now stopped): "
        + leaked.stream().map(LocalProcess::toString).collect(Collectors.joining(", "))
        + ". Close every fixture in @AfterEach/@AfterAll or with try-with-resources.");
  }
}
