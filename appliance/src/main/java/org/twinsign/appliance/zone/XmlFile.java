package org.twinsign.appliance.zone;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The StAX reading the OpenDNSSEC files share (zonelist.xml, addns.xml): no DTDs or external
 * entities, and every failure a {@link ZoneFileException} naming the file (and the line).
 */
final class XmlFile {
  private XmlFile() {}

  /** What is read from the stream. */
  @FunctionalInterface
  interface Body<T> {
    T read(XMLStreamReader xml) throws XMLStreamException;
  }

  static <T> T read(Path file, Body<T> body) {
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    try (InputStream in = Files.newInputStream(file)) {
      return body.read(factory.createXMLStreamReader(in));
    } catch (NoSuchFileException e) {
      throw new ZoneFileException(file + " does not exist");
    } catch (XMLStreamException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
      throw new ZoneFileException(file + ":" + line + ": not well-formed XML: " + e.getMessage());
    } catch (IOException e) {
      throw new ZoneFileException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
