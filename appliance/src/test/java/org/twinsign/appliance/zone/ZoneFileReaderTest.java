package org.twinsign.appliance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/** The SOA of a zone file, read without parsing the rest ({@code zone status} on a million-name input). */
class ZoneFileReaderTest {
  private static final Name ORIGIN = Name.fromConstantString("example.test.");

  @TempDir
  Path dir;

  @Test
  void theSoaIsReadAsFarAsItAndNoFurther() throws Exception {
    Path file = dir.resolve("example.test.zone");
    // the line after the SOA does not parse: it is never reached
    Files.writeString(file, "$ORIGIN example.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 2026120107 7200 3600 1209600"
        + " 3600\n@ IN NS ns1\nns1 IN A not-an-address\n");
    assertEquals(2026120107L, ZoneFileReader.soa(file, ORIGIN).getSerial());
    assertThrows(ZoneFileException.class, () -> ZoneFileReader.read(file, ORIGIN), "the whole file does not parse");

    Path none = dir.resolve("none.zone");
    Files.writeString(none, "$ORIGIN example.test.\n@ 3600 IN NS ns1\n");
    assertNull(ZoneFileReader.soa(none, ORIGIN));
    ZoneFileException missing = assertThrows(ZoneFileException.class, () -> ZoneFileReader.soa(dir.resolve("gone"),
        ORIGIN));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }
}
