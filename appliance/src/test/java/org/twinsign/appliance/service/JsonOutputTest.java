package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.WithMariaDb;

/** {@code --json} prints what the text says, as data: enforce, key list, rollover list, zone list. */
class JsonOutputTest extends WithMariaDb {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void theListingsAndTheEnforcerSpeakJson() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/counter.xml").toAbsolutePath().toString());
    node.addMinimalZone("json.test", "counter", 2026113001);

    JsonNode first = JSON.readTree(node.ok("enforce", "--json"));
    JsonNode zone = first.get("zones").get(0);
    assertEquals("json.test", zone.get("zone").asText());
    assertEquals("SIGNED", zone.get("status").asText());
    assertEquals(2026113001L, zone.get("serial").asLong());
    assertTrue(zone.get("signatures_made").asLong() > 0, zone.toString());
    assertTrue(zone.get("key_changes").size() > 0, zone.toString());
    assertTrue(zone.get("failure").isNull(), zone.toString());

    JsonNode second = JSON.readTree(node.ok("enforce", "--json")).get("zones").get(0);
    assertEquals("UNCHANGED", second.get("status").asText(), second.toString());
    assertTrue(second.get("serial").isNull());

    JsonNode keys = JSON.readTree(node.ok("key", "list", "--json"));
    assertEquals(2, keys.size(), keys.toString());
    for (JsonNode key : keys) {
      assertEquals("json.test", key.get("zone").asText());
      assertEquals("publish", key.get("state").asText(), key.toString());
      assertEquals("rumoured", key.get("records").get("dnskey").asText(), key.toString());
      assertEquals(13, key.get("algorithm").asInt());
      assertTrue(key.get("key_tag").isInt() && key.get("cka_id").asText().matches("[0-9a-f]+"), key.toString());
    }
    String text = node.ok("key", "list", "--verbose");
    for (JsonNode key : keys) {
      assertTrue(text.contains(key.get("cka_id").asText()), "the same keys as the text");
    }

    JsonNode rollovers = JSON.readTree(node.ok("rollover", "list", "--json"));
    assertEquals(2, rollovers.size());
    assertTrue(rollovers.get(0).get("at").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), rollovers.toString());

    JsonNode zones = JSON.readTree(node.ok("zone", "list", "--json"));
    assertEquals(2026113001L, zones.get(0).get("serial").asLong());
    assertEquals(dir.resolve("json.test.signed").toString(), zones.get(0).get("output").asText());
  }
}
