package org.twinsign.appliance.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.service.KeyReport;
import org.twinsign.appliance.store.ZoneTable;

/**
 * {@code --json}: a command's result as one JSON document on standard output, with the same
 * content as its text, for runbooks, monitoring and alerts. Field names are snake_case; times are
 * ISO-8601 UTC strings; absent values are null.
 */
final class JsonOutput {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private JsonOutput() {}

  static void print(PrintWriter out, Object value) {
    try {
      out.println(MAPPER.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the result as JSON: " + e.getMessage(), e);
    }
  }

  private static String time(Instant at) {
    return at == null ? null : at.toString();
  }

  /** A key as {@code key list --json} shows it. */
  record Key(String zone, String keytype, String state, String nextTransition, String at, String waitsFor,
      int keyTag, int algorithm, int bits, String ckaId, String repository, Map<String, String> records,
      String backup, String dsAtParent, boolean lost) {
    static Key of(KeyReport report) {
      KeyState state = report.key().state();
      Map<String, String> records = new LinkedHashMap<>();
      Arrays.stream(RecordType.values()).forEach(t -> records.put(t.name().toLowerCase(Locale.ROOT),
          state.has(t) ? state.state(t).label() : null));
      return new Key(report.zone(), report.role().name(), report.state(), report.next(), time(report.at()),
          report.waitsFor(), report.keyTag(), state.algorithm(), state.bits(), state.locator(), state.repository(),
          records, report.key().hsm().backup().name().toLowerCase(Locale.ROOT),
          state.has(RecordType.DS) ? state.dsAtParent().label() : null, state.lost());
    }
  }

  /** A key's next transition as {@code rollover list --json} shows it. */
  record Rollover(String zone, String keytype, int keyTag, String state, String next, String at, String waitsFor) {
    static Rollover of(KeyReport report) {
      return new Rollover(report.zone(), report.role().name(), report.keyTag(), report.state(), report.next(),
          time(report.at()), report.waitsFor());
    }
  }

  /** A zone as {@code zone list --json} shows it. */
  record Zone(String zone, String policy, Long serial, String input, String output, String signedAt,
      String resignAt) {
    static Zone of(ZoneTable.ZoneRow row) {
      return new Zone(row.name(), row.policy(), row.signedSerial(), row.input().toString(), row.output().toString(),
          time(row.signedAt()), time(row.resignAt()));
    }
  }

  static List<Key> keys(List<KeyReport> reports) {
    return reports.stream().map(Key::of).toList();
  }
}
