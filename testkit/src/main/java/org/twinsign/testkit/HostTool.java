package org.twinsign.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Finds the host programs the components need, and says which Debian package brings a missing one. */
public final class HostTool {
  private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

  private HostTool() {}

  /**
   * Returns the path of {@code command}, looked up on {@code PATH} and the system directories.
   *
   * @throws HostSetupException naming the command and the Debian package to install
   */
  public static Path require(String command, String debianPackage) {
    return require(command, debianPackage, searchPath());
  }

  /** As {@link #require(String, String)}, but looks only in {@code dirs}. */
  public static Path require(String command, String debianPackage, List<Path> dirs) {
    for (Path dir : dirs) {
      Path candidate = dir.resolve(command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new HostSetupException(missingMessage(command, debianPackage, dirs));
  }

  /** Returns the file, or throws naming the Debian package that provides it. */
  public static Path requireFile(Path file, String what, String debianPackage) {
    if (!Files.isRegularFile(file)) {
      throw new HostSetupException(
          what + " " + file + " not found: install the Debian package " + debianPackage
              + " (apt-get install " + debianPackage + "), or run bin/test, which installs it");
    }
    return file;
  }

  static String missingMessage(String command, String debianPackage, List<Path> dirs) {
    return "host program '" + command + "' not found (looked in " + dirs + "): install the Debian package "
        + debianPackage + " (apt-get install " + debianPackage + "), or run bin/test, which installs it";
  }

  static List<Path> searchPath() {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          dirs.add(dir);
        }
      }
    }
    dirs.addAll(SYSTEM_DIRS);
    List<Path> result = new ArrayList<>();
    for (String dir : dirs) {
      result.add(Path.of(dir));
    }
    return result;
  }

  /** The java launcher of the running JVM, so that child JVMs use the same JDK. */
  public static Path currentJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** Whether this process runs as root (mariadbd then needs {@code --user}). */
  public static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
