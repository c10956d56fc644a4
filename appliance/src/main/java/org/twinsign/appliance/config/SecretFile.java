package org.twinsign.appliance.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A file that holds a secret (a PIN, a password, a key): it must belong to the user who runs
 * Twinsign and be readable by nobody else, as OpenSSH insists for private keys. A file that others
 * can read is refused, naming the file and the command that fixes it — never silently used.
 */
public final class SecretFile {
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private SecretFile() {}

  /**
   * Checks {@code file}'s owner and mode.
   *
   * @param what what the file is, for the message ("PIN file", "db.password.file")
   * @return null if the file is safe to read, else what is wrong and how to fix it
   */
  public static String problem(Path file, String what) {
    try {
      String owner = Files.getOwner(file).getName();
      String user = System.getProperty("user.name");
      if (!owner.equals(user)) {
        return what + " " + file + " belongs to " + owner + ", not to " + user + " who runs twinsign: run 'chown "
            + user + " " + file + "' (and 'chmod 600 " + file + "')";
      }
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.stream().anyMatch(OTHERS::contains)) {
        return what + " " + file + " can be read or written by others (" + PosixFilePermissions.toString(mode)
            + "): run 'chmod 600 " + file + "'";
      }
      return null;
    } catch (UnsupportedOperationException e) {
      return null; // not a POSIX file system: nothing to check
    } catch (IOException e) {
      return null; // a missing or unreadable file: reading it says what is wrong
    }
  }
}
