package org.twinsign.appliance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/** Diffs between versions, condensed over several (RFC 1995 §4), and a journal that knows how far it reaches. */
public class JournalTest {
  private static final Name ORIGIN = Name.fromConstantString("j.test.");

  @TempDir
  Path dir;

  private Zone zone(long serial, String body) throws Exception {
    return version(dir, serial, body);
  }

  /** Version {@code serial} of the test zone j.test. with {@code body} besides its SOA, NS and glue (read from a file in {@code dir}). */
  public static Zone version(Path dir, long serial, String body) throws Exception {
    Path file = dir.resolve("v" + serial);
    Files.writeString(file, "$ORIGIN j.test.\n$TTL 300\n@ SOA ns hostmaster " + serial + " 1 1 1 1\n@ NS ns\n"
        + "ns A 192.0.2.1\n" + body);
    return ZoneFileReader.read(file, ORIGIN);
  }

  private static Set<String> text(List<Record> records) {
    Set<String> s = new HashSet<>();
    records.forEach(r -> s.add(r.toString()));
    return s;
  }

  @Test
  void diffsCondenseToTheDirectDifference() throws Exception {
    Zone v1 = zone(1, "a A 192.0.2.10\nb A 192.0.2.11\nc TXT \"x\"\n");
    Zone v2 = zone(2, "a A 192.0.2.10\nb 600 A 192.0.2.11\nd A 192.0.2.13\n"); // b's TTL, c gone, d new
    Zone v3 = zone(3, "a A 192.0.2.99\nb A 192.0.2.11\nd A 192.0.2.13\n"); // a changed, b's TTL back
    ZoneDiff d12 = ZoneDiff.between(v1, v2);
    assertEquals(Set.of("b.j.test.\t\t300\tIN\tA\t192.0.2.11", "c.j.test.\t\t300\tIN\tTXT\t\"x\""), text(d12.removed()));
    assertEquals(Set.of("b.j.test.\t\t600\tIN\tA\t192.0.2.11", "d.j.test.\t\t300\tIN\tA\t192.0.2.13"), text(d12.added()));
    assertEquals(1, d12.from().getSerial());
    assertEquals(2, d12.to().getSerial());

    Journal journal = new Journal();
    journal.append(d12);
    journal.append(ZoneDiff.between(v2, v3));
    ZoneDiff condensed = journal.since(1).orElseThrow();
    ZoneDiff direct = ZoneDiff.between(v1, v3);
    assertEquals(text(direct.removed()), text(condensed.removed()));
    assertEquals(text(direct.added()), text(condensed.added()));
    assertEquals(3, condensed.to().getSerial());
    assertTrue(journal.since(7).isEmpty(), "a serial the journal never had: the whole zone");
    assertEquals(2, journal.depth());
    assertEquals(1, journal.oldestSerial());
  }

  @Test
  void theJournalDropsItsOldestDiffsToStayWithinBounds() throws Exception {
    Journal journal = new Journal(2, 1_000);
    Zone previous = zone(1, "");
    for (long serial = 2; serial <= 5; serial++) {
      Zone next = zone(serial, "n" + serial + " A 192.0.2.1\n");
      journal.append(ZoneDiff.between(previous, next));
      previous = next;
    }
    assertEquals(2, journal.depth());
    assertTrue(journal.since(2).isEmpty(), "serial 2 is gone from the journal");
    assertEquals(5, journal.since(3).orElseThrow().to().getSerial());
    Journal small = new Journal(10, 3);
    small.append(ZoneDiff.between(zone(1, ""), zone(2, "a A 192.0.2.1\nb A 192.0.2.2\n")));
    assertEquals(0, small.depth(), "a diff larger than the journal's bound is not kept: the zone goes whole");
    Zone unrelated = zone(9, "");
    journal.append(ZoneDiff.between(zone(8, ""), unrelated)); // does not start at 5: the journal starts over
    assertEquals(1, journal.depth());
    assertEquals(8, journal.oldestSerial());
  }

  @Test
  void theJournalOnDiskLeadsToTheVersionHeldAndSurvivesATornWrite() throws Exception {
    Zone v1 = zone(1, "a A 192.0.2.10\n");
    Zone v2 = zone(2, "a A 192.0.2.10\nb A 192.0.2.11\n");
    Zone v3 = zone(3, "b A 192.0.2.11\nc 600 TXT \"three\"\n");
    Path file = JournalFile.of(dir.resolve("j.test.signed"));
    assertEquals("j.test.signed.journal", file.getFileName().toString());
    JournalFile.append(file, ZoneDiff.between(v1, v2));
    JournalFile.append(file, ZoneDiff.between(v2, v3));

    List<ZoneDiff> read = JournalFile.read(file, 3);
    assertEquals(2, read.size());
    Journal journal = new Journal();
    read.forEach(journal::append);
    ZoneDiff direct = ZoneDiff.between(v1, v3);
    ZoneDiff fromDisk = journal.since(1).orElseThrow();
    assertEquals(text(direct.removed()), text(fromDisk.removed()));
    assertEquals(text(direct.added()), text(fromDisk.added()));
    assertEquals(List.of(), JournalFile.read(file, 7), "a journal that does not end at the version held is not used");
    assertEquals(1, JournalFile.read(file, 2).size(), "the chain up to the version held");

    // a crash in the middle of the last block: it is dropped, the ones before stand
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 5));
    assertEquals(1, JournalFile.read(file, 2).size());
    assertEquals(List.of(), JournalFile.read(file, 3));

    // a block the store did not take, left between two links: passed over
    Zone v4 = zone(4, "b A 192.0.2.11\nd A 192.0.2.14\n");
    JournalFile.rewrite(file, List.of(ZoneDiff.between(v1, v2), ZoneDiff.between(v2, v3), ZoneDiff.between(v2, v4)));
    List<ZoneDiff> chain = JournalFile.read(file, 4);
    assertEquals(2, chain.size());
    assertEquals(1, chain.get(0).from().getSerial());
    assertEquals(2, chain.get(1).from().getSerial());

    JournalFile.rewrite(file, List.of(ZoneDiff.between(v2, v3)));
    assertEquals(3, JournalFile.read(file, 3).get(0).to().getSerial());
    JournalFile.rewrite(file, List.of());
    assertTrue(!Files.exists(file));
  }
}
