package org.twinsign.appliance.zone;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * A zone's journal on disk ({@code SIGNED-FILE.journal}, as BIND keeps {@code .jnl} beside a
 * zone), so that a node that restarts or takes over still answers IXFR for the versions before.
 * Each diff is one block of records in wire format with a CRC: a block torn by a crash is
 * dropped with everything after it, never half-read.
 */
public final class JournalFile {
  private static final int MAGIC = 0x54534a31; // "TSJ1"

  private JournalFile() {}

  /** The journal file of the signed zone file {@code output}. */
  public static Path of(Path output) {
    return output.resolveSibling(output.getFileName() + ".journal");
  }

  /** Appends {@code diff} (and fsyncs): the journal's newest version is the diff's target. */
  public static void append(Path file, ZoneDiff diff) throws IOException {
    byte[] block = block(diff);
    boolean created = !Files.exists(file);
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
        StandardOpenOption.SYNC)) {
      out.write(block);
    }
    if (created) {
      syncDirectory(file); // the new file's name must survive a crash too
    }
  }

  private static void syncDirectory(Path file) throws IOException {
    try (java.nio.channels.FileChannel directory = java.nio.channels.FileChannel.open(
        file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  /** Replaces the file with {@code diffs} (oldest first): after the journal dropped its oldest. */
  public static void rewrite(Path file, List<ZoneDiff> diffs) throws IOException {
    if (diffs.isEmpty()) {
      Files.deleteIfExists(file);
      return;
    }
    Path staged = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".new");
    try {
      try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(staged, StandardOpenOption.WRITE)) {
        for (ZoneDiff diff : diffs) {
          java.nio.ByteBuffer block = java.nio.ByteBuffer.wrap(block(diff));
          while (block.hasRemaining()) {
            out.write(block);
          }
        }
        out.force(true);
      }
      Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(file); // it replaces appends that were durable: so must it be
    } finally {
      Files.deleteIfExists(staged);
    }
  }

  /**
   * The diffs of the file that lead, unbroken, to {@code serial} (the version held now); none if
   * the file is missing, ends elsewhere, or is damaged before such a chain.
   */
  public static List<ZoneDiff> read(Path file, long serial) {
    List<ZoneDiff> all = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return all;
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      while (true) {
        int magic;
        try {
          magic = in.readInt();
        } catch (EOFException e) {
          break;
        }
        if (magic != MAGIC) {
          break;
        }
        int length = in.readInt();
        if (length < 0 || length > 512 * 1024 * 1024) {
          break;
        }
        byte[] body = new byte[length];
        in.readFully(body);
        long crc = in.readLong();
        CRC32 check = new CRC32();
        check.update(body);
        if (check.getValue() != crc) {
          break; // torn by a crash: what follows cannot be trusted
        }
        all.add(diff(body));
      }
    } catch (IOException e) {
      // a short or unreadable tail: the blocks before it stand
    }
    // the unbroken chain that ends at the serial held; a block between two links that leads
    // elsewhere (a diff the store did not take, which could not be taken off) is passed over
    int end = all.size() - 1;
    while (end >= 0 && all.get(end).to().getSerial() != serial) {
      end--;
    }
    if (end < 0) {
      return List.of();
    }
    java.util.LinkedList<ZoneDiff> chain = new java.util.LinkedList<>();
    chain.add(all.get(end));
    for (int i = end - 1; i >= 0; i--) {
      if (all.get(i).to().getSerial() == chain.getFirst().from().getSerial()) {
        chain.addFirst(all.get(i));
      }
    }
    return new ArrayList<>(chain);
  }

  private static byte[] block(ZoneDiff diff) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(body);
    record(out, diff.from());
    record(out, diff.to());
    out.writeInt(diff.removed().size());
    for (Record r : diff.removed()) {
      record(out, r);
    }
    out.writeInt(diff.added().size());
    for (Record r : diff.added()) {
      record(out, r);
    }
    out.flush();
    byte[] bytes = body.toByteArray();
    CRC32 crc = new CRC32();
    crc.update(bytes);
    ByteArrayOutputStream block = new ByteArrayOutputStream(bytes.length + 16);
    DataOutputStream framed = new DataOutputStream(block);
    framed.writeInt(MAGIC);
    framed.writeInt(bytes.length);
    framed.write(bytes);
    framed.writeLong(crc.getValue());
    framed.flush();
    return block.toByteArray();
  }

  private static void record(DataOutputStream out, Record r) throws IOException {
    byte[] wire = r.toWire(Section.ANSWER);
    out.writeShort(wire.length);
    out.write(wire);
  }

  private static ZoneDiff diff(byte[] body) throws IOException {
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
    SOARecord from = (SOARecord) readRecord(in);
    SOARecord to = (SOARecord) readRecord(in);
    List<Record> removed = new ArrayList<>();
    for (int i = in.readInt(); i > 0; i--) {
      removed.add(readRecord(in));
    }
    List<Record> added = new ArrayList<>();
    for (int i = in.readInt(); i > 0; i--) {
      added.add(readRecord(in));
    }
    return new ZoneDiff(from, removed, to, added);
  }

  private static Record readRecord(DataInputStream in) throws IOException {
    byte[] wire = new byte[in.readUnsignedShort()];
    in.readFully(wire);
    return Record.fromWire(wire, Section.ANSWER);
  }
}
