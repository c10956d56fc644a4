package org.twinsign.appliance.zone;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;

/**
 * Reads an RFC 1035 master file with dnsjava's parser: {@code $ORIGIN}, {@code $TTL},
 * {@code $INCLUDE} (relative to the including file), {@code $GENERATE} (with BIND's
 * {@code ${offset,width,base}} modifiers), escaped labels, multi-line records, long TXT.
 * Errors name the file and line.
 */
public final class ZoneFileReader {
  private ZoneFileReader() {}

  /** Reads {@code file} for zone {@code origin}; every record must be of class IN. */
  public static Zone read(Path file, Name origin) {
    Zone zone = new Zone(origin);
    each(file, origin, record -> {
      if (record.getDClass() != DClass.IN) {
        throw new ZoneFileException(file + ": record of class " + DClass.string(record.getDClass()) + " ("
            + record.getName() + "): only class IN is signed");
      }
      zone.add(record);
      return true;
    });
    return zone;
  }

  /**
   * The zone's SOA as {@code file} holds it, read only as far as the SOA record (a zone file starts
   * with it; a million-name file is not parsed whole to learn its serial); null if it has none.
   */
  public static org.xbill.DNS.SOARecord soa(Path file, Name origin) {
    org.xbill.DNS.SOARecord[] soa = {null};
    each(file, origin, record -> {
      if (record.getType() == org.xbill.DNS.Type.SOA && record.getName().equals(origin)) {
        soa[0] = (org.xbill.DNS.SOARecord) record;
        return false;
      }
      return true;
    });
    return soa[0];
  }

  /** Hands {@code file}'s records to {@code next} in file order while it answers true; errors name the file and line. */
  private static void each(Path file, Name origin, java.util.function.Predicate<Record> next) {
    if (!Files.isRegularFile(file)) {
      throw new ZoneFileException("zone file " + file + " does not exist or is not a file");
    }
    try (Master master = new Master(file.toString(), origin)) {
      master.expandGenerate(true);
      Record record;
      while ((record = master.nextRecord()) != null && next.test(record)) {
        // next took it
      }
    } catch (TextParseException e) {
      throw new ZoneFileException(located(file, e.getMessage()), e);
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new ZoneFileException(file + ": included file not found: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ZoneFileException("cannot read zone file " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ZoneFileException(file + ": " + e.getMessage(), e);
    }
  }

  /** dnsjava's messages start with "file:line:"; make sure the file is named even when they do not. */
  private static String located(Path file, String message) {
    if (message != null && message.contains(file.getFileName().toString())) {
      return message;
    }
    return file + ": " + message;
  }
}
