package org.twinsign.appliance.zone;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLStreamConstants;

/**
 * Reads the inbound side of an OpenDNSSEC DNS adapter file (addns.xml, its addns.rnc): the
 * primaries a zone is transferred from ({@code Adapter/DNS/Inbound/RequestTransfer/Remote}: Address,
 * Port, Key). The rest is the node's business in Twinsign: TSIG secrets come from
 * {@code dns.tsig-file} (by the key's name), NOTIFY is accepted from the zone's primaries, and
 * the outbound side is {@code dns.allow-transfer} and {@code dns.notify}.
 */
public final class AddnsReader {
  private AddnsReader() {}

  /** The primaries ({@code HOST:PORT}) and the TSIG key's name (or null) of the inbound side. */
  public record Inbound(List<String> primaries, String key) {}

  public static Inbound read(Path file) {
    Inbound inbound = XmlFile.read(file, xml -> {
      List<String> primaries = new ArrayList<>();
      String key = null;
      boolean keyed = false;
      List<String> path = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      String address = null;
      String port = null;
      String remoteKey = null;
      int remoteLine = 0;
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          path.add(xml.getLocalName());
          text.setLength(0);
          if (String.join("/", path).equals("Adapter/DNS/Inbound/RequestTransfer/Remote")) {
            address = null;
            port = null;
            remoteKey = null;
            remoteLine = xml.getLocation().getLineNumber();
          }
        } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
          text.append(xml.getText());
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          String where = String.join("/", path);
          String value = text.toString().trim();
          switch (where) {
            case "Adapter/DNS/Inbound/RequestTransfer/Remote/Address" -> address = value;
            case "Adapter/DNS/Inbound/RequestTransfer/Remote/Port" -> port = value;
            case "Adapter/DNS/Inbound/RequestTransfer/Remote/Key" -> remoteKey = value.isEmpty() ? null : value;
            case "Adapter/DNS/Inbound/RequestTransfer/Remote" -> {
              if (address == null || address.isEmpty()) {
                throw new ZoneFileException(file + ":" + remoteLine + ": a <Remote> needs an <Address>");
              }
              if (keyed && !java.util.Objects.equals(key, remoteKey)) {
                throw new ZoneFileException(file + ":" + remoteLine + ": the primaries use different TSIG keys ("
                    + key + ", " + remoteKey + "): a zone's transfers are signed with one key");
              }
              keyed = true;
              key = remoteKey;
              String host = address.contains(":") ? "[" + address + "]" : address;
              primaries.add(host + ":" + (port == null || port.isEmpty() ? "53" : port));
            }
            default -> { }
          }
          path.remove(path.size() - 1);
          text.setLength(0);
        }
      }
      return new Inbound(List.copyOf(primaries), key);
    });
    if (inbound.primaries().isEmpty()) {
      throw new ZoneFileException(file + ": no <Inbound><RequestTransfer><Remote> names a primary to transfer"
          + " the zone from");
    }
    return inbound;
  }
}
