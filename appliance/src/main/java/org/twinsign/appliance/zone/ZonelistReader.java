package org.twinsign.appliance.zone;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLStreamConstants;

/**
 * Reads OpenDNSSEC's zonelist.xml (its zonelist.rnc): each {@code <Zone name>} with its
 * {@code <Policy>}, {@code <SignerConfiguration>} (ignored: Twinsign keeps the signer's
 * configuration in the store) and adapters: File, and for input DNS (an addns.xml naming the
 * primaries, {@link AddnsReader}; the transferred copy is kept beside the output as
 * {@code ZONE.transferred}). Other adapters are an error naming the line, as is anything the
 * schema does not allow.
 */
public final class ZonelistReader {
  private ZonelistReader() {}

  /** One zone of the list. */
  public record Entry(String name, String policy, Path input, Path output, int line, List<String> primaries,
      String primaryKey) {
    public Entry(String name, String policy, Path input, Path output, int line) {
      this(name, policy, input, output, line, List.of(), null);
    }
  }

  public static List<Entry> read(Path file) {
    return XmlFile.read(file, xml -> {
      List<Entry> entries = new ArrayList<>();
      List<String> path = new ArrayList<>();
      String zone = null;
      int zoneLine = 0;
      String policy = null;
      Path input = null;
      Path output = null;
      AddnsReader.Inbound inbound = null;
      String adapterType = null;
      StringBuilder text = new StringBuilder();
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          String name = xml.getLocalName();
          String where = String.join("/", path);
          int line = xml.getLocation().getLineNumber();
          boolean allowed = switch (where) {
            case "" -> name.equals("ZoneList");
            case "ZoneList" -> name.equals("Zone");
            case "ZoneList/Zone" -> name.equals("Policy") || name.equals("SignerConfiguration")
                || name.equals("Adapters");
            case "ZoneList/Zone/Adapters" -> name.equals("Input") || name.equals("Output");
            case "ZoneList/Zone/Adapters/Input", "ZoneList/Zone/Adapters/Output" -> name.equals("Adapter")
                || name.equals("File");
            default -> false;
          };
          if (!allowed) {
            throw new ZoneFileException(file + ":" + line + ": <" + name + "> is not allowed "
                + (where.isEmpty() ? "as the document element (expected <ZoneList>)" : "inside <" + where + ">"));
          }
          if (name.equals("Zone")) {
            zone = xml.getAttributeValue(null, "name");
            zoneLine = line;
            if (zone == null || zone.isBlank()) {
              throw new ZoneFileException(file + ":" + line + ": <Zone> needs a name attribute");
            }
            policy = null;
            input = null;
            output = null;
            inbound = null;
          }
          if (name.equals("Adapter")) {
            String type = xml.getAttributeValue(null, "type");
            adapterType = type == null ? "File" : type;
            boolean dnsIn = where.equals("ZoneList/Zone/Adapters/Input") && type != null && type.equalsIgnoreCase("DNS");
            if (type != null && !type.equalsIgnoreCase("File") && !dnsIn) {
              throw new ZoneFileException(file + ":" + line + ": <Adapter type=\"" + type + "\"> is not supported"
                  + (where.endsWith("Output") && type.equalsIgnoreCase("DNS") ? " for output: the node serves every"
                  + " zone by DNS (dns.listen) and writes its signed file; give a File output adapter"
                  : ": File adapters, and DNS for input"));
            }
          }
          path.add(name);
          text.setLength(0);
        } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
          text.append(xml.getText());
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          String where = String.join("/", path);
          String value = text.toString().trim();
          int line = xml.getLocation().getLineNumber();
          switch (where) {
            case "ZoneList/Zone/Policy" -> policy = value;
            case "ZoneList/Zone/Adapters/Input/Adapter", "ZoneList/Zone/Adapters/Input/File" -> {
              if ("DNS".equalsIgnoreCase(adapterType) && where.endsWith("Adapter")) {
                inbound = AddnsReader.read(path(file, line, value));
              } else {
                input = path(file, line, value);
              }
            }
            case "ZoneList/Zone/Adapters/Output/Adapter", "ZoneList/Zone/Adapters/Output/File" -> output = path(file,
                line, value);
            case "ZoneList/Zone" -> {
              if (policy == null || policy.isEmpty() || (input == null && inbound == null) || output == null) {
                throw new ZoneFileException(file + ":" + zoneLine + ": zone " + zone
                    + " needs a <Policy>, an input adapter (File or DNS) and an output file adapter");
              }
              if (inbound != null) {
                String bare = zone.endsWith(".") ? zone.substring(0, zone.length() - 1) : zone;
                entries.add(new Entry(zone, policy, output.resolveSibling(bare + ".transferred"), output, zoneLine,
                    inbound.primaries(), inbound.key()));
              } else {
                entries.add(new Entry(zone, policy, input, output, zoneLine));
              }
            }
            default -> { }
          }
          path.remove(path.size() - 1);
          text.setLength(0);
        }
      }
      return entries;
    });
  }

  private static Path path(Path file, int line, String value) {
    if (value.isEmpty()) {
      throw new ZoneFileException(file + ":" + line + ": an adapter needs a file name");
    }
    return file.toAbsolutePath().getParent().resolve(value);
  }
}
