package org.twinsign.appliance.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A zone file's path as compared with other zones': absolute, normalised, symbolic links resolved. */
final class ZonePaths {
  private ZonePaths() {}

  static Path canonical(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    try {
      if (Files.exists(absolute)) {
        return absolute.toRealPath();
      }
      Path parent = absolute.getParent();
      return parent != null && Files.isDirectory(parent) ? parent.toRealPath().resolve(absolute.getFileName())
          : absolute;
    } catch (IOException e) {
      return absolute;
    }
  }
}
