package org.twinsign.appliance.store;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The input and output files of the zones (canonical paths), to refuse a zone whose files are
 * another zone's: built once, then asked for each zone added (a zonelist of 10,000 zones compared
 * each with every other, through the file system, took hours).
 */
public final class ZoneFileIndex {
  private record Owner(String zone, String role) {}

  private final Map<Path, Owner> owners = new HashMap<>();

  private ZoneFileIndex() {}

  /** The files of every zone in the store. */
  public static ZoneFileIndex of(StoreTransaction tx) {
    ZoneFileIndex index = new ZoneFileIndex();
    for (ZoneTable.ZoneRow zone : ZoneTable.all(tx)) {
      index.add(zone.name(), zone.input(), zone.output());
    }
    return index;
  }

  /** Why zone {@code name} cannot have these files, or null. */
  public String conflict(String name, Path input, Path output) {
    Path in = ZonePaths.canonical(input);
    Path out = ZonePaths.canonical(output);
    if (in.equals(out)) {
      return "zone " + name + ": --input and --output are the same file " + in + ": the signed zone would replace"
          + " the unsigned one";
    }
    for (Path mine : List.of(in, out)) {
      Owner other = owners.get(mine);
      if (other != null && !other.zone().equals(name)) {
        return "zone " + name + ": its " + (mine == in ? "input" : "output") + " " + mine + " is the "
            + other.role() + " of zone " + other.zone() + ": give each zone files of its own";
      }
    }
    return null;
  }

  /** Records a zone's files (once it is added). */
  public void add(String name, Path input, Path output) {
    // an output first: where a zone's input is another's output, the output is what the message names
    owners.putIfAbsent(ZonePaths.canonical(output), new Owner(name, "published file"));
    owners.putIfAbsent(ZonePaths.canonical(input), new Owner(name, "unsigned input"));
  }
}
