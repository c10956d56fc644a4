package org.twinsign.appliance.zone;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Writes a zone in canonical order (names per RFC 4034 §6.1; at each name SOA first, then types
 * ascending, each RRset followed by its signatures) and replaces the target atomically: a temporary
 * file in the same directory, fsync, rename. A reader sees the old zone or the new one, never half.
 */
public final class ZoneFileWriter {
  private ZoneFileWriter() {}

  /**
   * Writes {@code zone} to {@code target} durably (temporary file, fsync, rename, directory fsync).
   *
   * @return the SHA-256 (hex) of the bytes written, computed as they are written
   */
  public static String write(Zone zone, Path target) {
    Path dir = target.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new ZoneFileException("cannot write " + target + ": directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) {
      throw new ZoneFileException("cannot write " + target + ": directory " + dir + " is not writable");
    }
    Path temp = null;
    java.security.MessageDigest sha256;
    try {
      sha256 = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try {
      temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
          BufferedWriter out = new BufferedWriter(
              new OutputStreamWriter(new java.security.DigestOutputStream(
                  java.nio.channels.Channels.newOutputStream(channel), sha256), StandardCharsets.UTF_8),
              1 << 16)) {
        writeTo(zone, out);
        out.flush();
        channel.force(true);
      }
      // a zone file is for the name server to read: keep the old file's mode, or rw-r--r--
      Files.setPosixFilePermissions(temp, Files.exists(target)
          ? Files.getPosixFilePermissions(target)
          : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      } catch (IOException ignored) {
        // not every file system lets a directory be synced
      }
      return java.util.HexFormat.of().formatHex(sha256.digest());
    } catch (IOException e) {
      throw new ZoneFileException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // best effort: the target is untouched either way
        }
      }
    }
  }

  /** The SHA-256 (hex) of the file {@link #write} would write for {@code zone}, without writing one. */
  public static String digest(Zone zone) {
    try {
      java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
      BufferedWriter out = new BufferedWriter(new OutputStreamWriter(new java.security.DigestOutputStream(
          java.io.OutputStream.nullOutputStream(), sha256), StandardCharsets.UTF_8), 1 << 16);
      writeTo(zone, out);
      out.flush();
      return java.util.HexFormat.of().formatHex(sha256.digest());
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void writeTo(Zone zone, Appendable out) throws IOException {
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes()) {
      RRset soa = node.getValue().get(Type.SOA);
      if (soa != null) {
        writeRRset(soa, out);
      }
      for (Map.Entry<Integer, RRset> entry : node.getValue().entrySet()) {
        if (entry.getKey() != Type.SOA) {
          writeRRset(entry.getValue(), out);
        }
      }
    }
  }

  private static void writeRRset(RRset rrset, Appendable out) throws IOException {
    for (Record record : rrset.rrs(false)) {
      out.append(record.toString()).append('\n');
    }
    for (RRSIGRecord sig : rrset.sigs()) {
      out.append(sig.toString()).append('\n');
    }
  }
}
