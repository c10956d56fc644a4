package org.twinsign.appliance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An OpenDNSSEC zonelist whose zones come by DNS (addns.xml): the primaries and key are read; what cannot be is named. */
class AddnsReaderTest {
  @TempDir
  Path dir;

  @Test
  void aZonelistWithADnsInputAdapterNamesThePrimaries() throws Exception {
    Files.writeString(dir.resolve("addns.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <Adapter>
          <DNS>
            <TSIG><Name>xfr-key</Name><Algorithm>hmac-sha256</Algorithm><Secret>c2VjcmV0</Secret></TSIG>
            <Inbound>
              <RequestTransfer>
                <Remote><Address>192.0.2.1</Address><Port>5353</Port><Key>xfr-key</Key></Remote>
                <Remote><Address>2001:db8::1</Address><Key>xfr-key</Key></Remote>
              </RequestTransfer>
              <AllowNotify><Peer><Prefix>192.0.2.1</Prefix><Key>xfr-key</Key></Peer></AllowNotify>
            </Inbound>
          </DNS>
        </Adapter>
        """);
    Files.writeString(dir.resolve("zonelist.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <ZoneList>
          <Zone name="example.com">
            <Policy>default</Policy>
            <Adapters>
              <Input><Adapter type="DNS">addns.xml</Adapter></Input>
              <Output><Adapter type="File">signed/example.com</Adapter></Output>
            </Adapters>
          </Zone>
        </ZoneList>
        """);
    List<ZonelistReader.Entry> entries = ZonelistReader.read(dir.resolve("zonelist.xml"));
    assertEquals(1, entries.size());
    ZonelistReader.Entry entry = entries.get(0);
    assertEquals(List.of("192.0.2.1:5353", "[2001:db8::1]:53"), entry.primaries());
    assertEquals("xfr-key", entry.primaryKey());
    assertEquals(dir.resolve("signed/example.com.transferred").toAbsolutePath(), entry.input().toAbsolutePath());

    Files.writeString(dir.resolve("addns.xml"), Files.readString(dir.resolve("addns.xml"))
        .replace("<Address>2001:db8::1</Address><Key>xfr-key</Key>", "<Address>2001:db8::1</Address><Key>other</Key>"));
    ZoneFileException keys = assertThrows(ZoneFileException.class, () -> ZonelistReader.read(dir.resolve(
        "zonelist.xml")));
    assertTrue(keys.getMessage().contains("addns.xml:8: the primaries use different TSIG keys"), keys.getMessage());

    Files.writeString(dir.resolve("addns.xml"), Files.readString(dir.resolve("addns.xml"))
        .replace("<Key>other</Key>", "<Key>xfr-key</Key>"));
    Files.writeString(dir.resolve("zonelist.xml"), Files.readString(dir.resolve("zonelist.xml"))
        .replace("<Output><Adapter type=\"File\">signed/example.com</Adapter></Output>",
            "<Output><Adapter type=\"DNS\">addns.xml</Adapter></Output>"));
    ZoneFileException output = assertThrows(ZoneFileException.class, () -> ZonelistReader.read(dir.resolve(
        "zonelist.xml")));
    assertTrue(output.getMessage().contains("zonelist.xml:7") && output.getMessage().contains("give a File output"
        + " adapter"), output.getMessage());
  }
}
