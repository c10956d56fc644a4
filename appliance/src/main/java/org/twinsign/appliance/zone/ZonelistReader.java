package org.twinsign.appliance.zone;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads OpenDNSSEC's zonelist.xml (its zonelist.rnc): each {@code <Zone name>} with its
 * {@code <Policy>}, {@code <SignerConfiguration>} (ignored: Twinsign keeps the signer's
 * configuration in the store) and file adapters. Adapters other than File are an error naming the
 * line, as is anything the schema does not allow.
 */
public final class ZonelistReader {
  private ZonelistReader() {}

  /** One zone of the list. */
  public record Entry(String name, String policy, Path input, Path output, int line) {}

  public static List<Entry> read(Path file) {
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    List<Entry> entries = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      XMLStreamReader xml = factory.createXMLStreamReader(in);
      List<String> path = new ArrayList<>();
      String zone = null;
      int zoneLine = 0;
      String policy = null;
      Path input = null;
      Path output = null;
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
          }
          if (name.equals("Adapter")) {
            String type = xml.getAttributeValue(null, "type");
            if (type != null && !type.equalsIgnoreCase("File")) {
              throw new ZoneFileException(file + ":" + line + ": <Adapter type=\"" + type
                  + "\"> is not supported yet: only File adapters (zone transfers come in a later release)");
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
            case "ZoneList/Zone/Adapters/Input/Adapter", "ZoneList/Zone/Adapters/Input/File" -> input = path(file, line,
                value);
            case "ZoneList/Zone/Adapters/Output/Adapter", "ZoneList/Zone/Adapters/Output/File" -> output = path(file,
                line, value);
            case "ZoneList/Zone" -> {
              if (policy == null || policy.isEmpty() || input == null || output == null) {
                throw new ZoneFileException(file + ":" + zoneLine + ": zone " + zone
                    + " needs a <Policy> and an input and output file adapter");
              }
              entries.add(new Entry(zone, policy, input, output, zoneLine));
            }
            default -> { }
          }
          path.remove(path.size() - 1);
          text.setLength(0);
        }
      }
      return entries;
    } catch (NoSuchFileException e) {
      throw new ZoneFileException(file + " does not exist");
    } catch (XMLStreamException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
      throw new ZoneFileException(file + ":" + line + ": not well-formed XML: " + e.getMessage());
    } catch (IOException e) {
      throw new ZoneFileException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static Path path(Path file, int line, String value) {
    if (value.isEmpty()) {
      throw new ZoneFileException(file + ":" + line + ": an adapter needs a file name");
    }
    return file.toAbsolutePath().getParent().resolve(value);
  }
}
