package org.twinsign.appliance.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads OpenDNSSEC's kasp.xml (its kasp.rnc schema) into {@link KaspPolicy} records. Strict:
 * an element the schema does not allow at that place, a missing one, or a bad value is an error
 * naming the file, the line and the element — nothing is ignored silently.
 */
public final class KaspReader {
  private static final Set<String> ROLL_TYPES = Set.of("KskDoubleRRset", "KskDoubleDS", "KskDoubleSignature",
      "ZskDoubleSignature", "ZskPrePublication", "ZskDoubleRRsig", "CskDoubleRRset", "CskSingleSignature",
      "CskDoubleDS", "CskDoubleSignature", "CskPrePublication");

  private final String file;
  private final boolean supportedOnly;

  private KaspReader(String file, boolean supportedOnly) {
    this.file = file;
    this.supportedOnly = supportedOnly;
  }

  /** Every policy in {@code file}, every kasp.rnc parameter kept. */
  public static List<KaspPolicy> read(Path file) {
    return new KaspReader(file.toString(), false).policies(parse(file));
  }

  /**
   * As {@link #read(Path)}, and also an error (file:line, element) for each parameter Twinsign
   * does not carry out yet, so that nothing in a policy is silently ignored: for import.
   */
  public static List<KaspPolicy> readForImport(Path file) {
    return new KaspReader(file.toString(), true).policies(parse(file));
  }

  /** Policies as the store keeps them ({@link KaspWriter}'s output). */
  public static List<KaspPolicy> read(String source, String xml) {
    try {
      return new KaspReader(source, false).policies(parse(source,
          new java.io.ByteArrayInputStream(xml.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    } catch (IOException e) {
      throw new KaspException("cannot read " + source + ": " + e.getMessage());
    }
  }

  /** An element with its line, attributes, text and children. */
  private record Element(String name, int line, Map<String, String> attributes, StringBuilder text,
      List<Element> children) {}

  private static Element parse(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return parse(file.toString(), in);
    } catch (NoSuchFileException e) {
      throw new KaspException(file + " does not exist");
    } catch (IOException e) {
      throw new KaspException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static Element parse(String file, InputStream in) throws IOException {
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    try {
      XMLStreamReader reader = factory.createXMLStreamReader(in);
      Deque<Element> open = new ArrayDeque<>();
      Element root = null;
      while (reader.hasNext()) {
        int event = reader.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          Map<String, String> attributes = new LinkedHashMap<>();
          for (int i = 0; i < reader.getAttributeCount(); i++) {
            attributes.put(reader.getAttributeLocalName(i), reader.getAttributeValue(i));
          }
          Element element = new Element(reader.getLocalName(), reader.getLocation().getLineNumber(), attributes,
              new StringBuilder(), new ArrayList<>());
          if (open.isEmpty()) {
            root = element;
          } else {
            open.peek().children().add(element);
          }
          open.push(element);
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          open.pop();
        } else if ((event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) && !open.isEmpty()) {
          open.peek().text().append(reader.getText());
        }
      }
      if (root == null) {
        throw new KaspException(file + ": no <KASP> element");
      }
      return root;
    } catch (XMLStreamException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
      throw new KaspException(file + ":" + line + ": not well-formed XML: " + e.getMessage());
    }
  }

  private List<KaspPolicy> policies(Element root) {
    if (!root.name().equals("KASP")) {
      throw error(root, "the document element is <" + root.name() + ">, not <KASP>");
    }
    allow(root, "Policy");
    List<KaspPolicy> policies = new ArrayList<>();
    for (Element policy : root.children()) {
      String name = policy.attributes().get("name");
      if (name == null || name.isBlank()) {
        throw error(policy, "<Policy> needs a name attribute");
      }
      if (policies.stream().anyMatch(p -> p.name().equals(name))) {
        throw error(policy, "policy '" + name + "' is defined twice");
      }
      allow(policy, "Description", "Passthrough", "Signatures", "Denial", "Keys", "Zone", "Parent");
      policies.add(new KaspPolicy(name, text(one(policy, "Description")), optional(policy, "Passthrough") != null,
          signatures(one(policy, "Signatures")), denial(one(policy, "Denial")), keys(one(policy, "Keys")),
          zone(one(policy, "Zone")), parent(one(policy, "Parent"))));
    }
    return policies;
  }

  private KaspPolicy.Signatures signatures(Element signatures) {
    allow(signatures, "Resign", "Refresh", "Validity", "Jitter", "InceptionOffset", "MaxZoneTTL");
    Element validity = one(signatures, "Validity");
    allow(validity, "Default", "Denial", "Keyset");
    return new KaspPolicy.Signatures(duration(one(signatures, "Resign")), duration(one(signatures, "Refresh")),
        duration(one(validity, "Default")), duration(one(validity, "Denial")), optionalDuration(validity, "Keyset"),
        duration(one(signatures, "Jitter")), duration(one(signatures, "InceptionOffset")),
        optionalDuration(signatures, "MaxZoneTTL"));
  }

  private KaspPolicy.Denial denial(Element denial) {
    allow(denial, "NSEC", "NSEC3");
    if (denial.children().size() != 1) {
      throw error(denial, "<Denial> holds exactly one of <NSEC/> or <NSEC3>");
    }
    Element chosen = denial.children().get(0);
    if (chosen.name().equals("NSEC")) {
      allow(chosen);
      return new KaspPolicy.Denial(false, null, false, null, 0, 0, 0, null);
    }
    allow(chosen, "TTL", "OptOut", "Resalt", "Hash");
    Element hash = one(chosen, "Hash");
    allow(hash, "Algorithm", "Iterations", "Salt");
    Element salt = one(hash, "Salt");
    int algorithm = number(one(hash, "Algorithm"), 0, 255);
    if (algorithm != 1) {
      throw error(hash, "NSEC3 hash algorithm " + algorithm + " is not supported: only 1 (SHA-1) is defined");
    }
    String saltText = text(salt).isEmpty() ? null : text(salt);
    return new KaspPolicy.Denial(true, optionalDuration(chosen, "TTL"), optional(chosen, "OptOut") != null,
        duration(one(chosen, "Resalt")), algorithm, number(one(hash, "Iterations"), 0, 65535),
        attributeNumber(salt, "length", 0, 255), saltText);
  }

  private KaspPolicy.Keys keys(Element keys) {
    allow(keys, "TTL", "RetireSafety", "PublishSafety", "ShareKeys", "Purge", "KSK", "ZSK", "CSK");
    List<KaspPolicy.Key> list = new ArrayList<>();
    for (Element key : keys.children()) {
      if (!key.name().equals("KSK") && !key.name().equals("ZSK") && !key.name().equals("CSK")) {
        continue;
      }
      String rollElement = key.name().charAt(0) + key.name().substring(1).toLowerCase() + "RollType";
      if (key.name().equals("ZSK")) {
        allow(key, "Algorithm", "Lifetime", "Repository", "Standby", "ManualRollover", rollElement);
      } else {
        allow(key, "Algorithm", "Lifetime", "Repository", "Standby", "ManualRollover", rollElement, "RFC5011");
      }
      Element algorithm = one(key, "Algorithm");
      Element roll = optional(key, rollElement);
      if (roll != null && !ROLL_TYPES.contains(text(roll))) {
        throw error(roll, "<" + rollElement + "> '" + text(roll) + "' is not a roll type");
      }
      Element standby = optional(key, "Standby");
      if (supportedOnly) {
        checkSupported(key, algorithm, standby);
      }
      list.add(new KaspPolicy.Key(key.name(), number(algorithm, 0, 255), attributeNumber(algorithm, "length", 1,
          65535), duration(one(key, "Lifetime")), text(one(key, "Repository")),
          standby == null ? 0 : number(standby, 0, 100), optional(key, "ManualRollover") != null,
          optional(key, "RFC5011") != null, roll == null ? null : text(roll)));
    }
    if (list.isEmpty()) {
      throw error(keys, "<Keys> needs at least one <KSK>, <ZSK> or <CSK>");
    }
    return new KaspPolicy.Keys(duration(one(keys, "TTL")), duration(one(keys, "RetireSafety")),
        duration(one(keys, "PublishSafety")), optional(keys, "ShareKeys") != null, optionalDuration(keys, "Purge"),
        List.copyOf(list));
  }

  private KaspPolicy.Zone zone(Element zone) {
    allow(zone, "PropagationDelay", "SOA");
    Element soa = one(zone, "SOA");
    allow(soa, "TTL", "Minimum", "Serial");
    String serial = text(one(soa, "Serial"));
    if (!Set.of("counter", "datecounter", "unixtime", "keep").contains(serial)) {
      throw error(one(soa, "Serial"), "<Serial> '" + serial + "': use counter, datecounter, unixtime or keep");
    }
    return new KaspPolicy.Zone(duration(one(zone, "PropagationDelay")), duration(one(soa, "TTL")),
        duration(one(soa, "Minimum")), serial);
  }

  private KaspPolicy.Parent parent(Element parent) {
    allow(parent, "PropagationDelay", "DS", "SOA", "RegistrationDelay");
    Element ds = one(parent, "DS");
    allow(ds, "TTL");
    Element soa = one(parent, "SOA");
    allow(soa, "TTL", "Minimum");
    return new KaspPolicy.Parent(duration(one(parent, "PropagationDelay")), duration(one(ds, "TTL")),
        duration(one(soa, "TTL")), duration(one(soa, "Minimum")), optionalDuration(parent, "RegistrationDelay"));
  }

  /** What Twinsign cannot carry out yet is an import error, not a parameter silently ignored. */
  private void checkSupported(Element key, Element algorithm, Element standby) {
    int number = number(algorithm, 0, 255);
    org.twinsign.appliance.dnssec.DnssecAlgorithm known;
    try {
      known = org.twinsign.appliance.dnssec.DnssecAlgorithm.ofNumber(number);
    } catch (IllegalArgumentException e) {
      throw error(algorithm, "<Algorithm> " + number + " is not supported here: use 8 (RSASHA256), 10 (RSASHA512),"
          + " 13 (ECDSAP256SHA256), 14 (ECDSAP384SHA384) or 15 (ED25519)");
    }
    int length = attributeNumber(algorithm, "length", 1, 65535);
    if (known.family() == org.twinsign.appliance.dnssec.DnssecAlgorithm.KeyFamily.RSA
        && (length < 1024 || length > 4096)) {
      throw error(algorithm, "<Algorithm length=\"" + length + "\"> is not supported: RSA keys are 1024 to 4096 bits");
    }
    if (standby != null && number(standby, 0, 100) > 0) {
      throw error(standby, "<Standby> keys are not supported yet: remove the element or set it to 0");
    }
    Element rfc5011 = optional(key, "RFC5011");
    if (rfc5011 != null) {
      throw error(rfc5011, "<RFC5011/> (trust anchor hold-down and revocation) is not supported yet: remove it");
    }
  }

  private void allow(Element element, String... children) {
    Set<String> allowed = Set.of(children);
    for (Element child : element.children()) {
      if (!allowed.contains(child.name())) {
        throw error(child, "<" + child.name() + "> is not supported inside <" + element.name() + ">"
            + (children.length == 0 ? " (it takes no elements)" : "; allowed there: " + String.join(", ", children)));
      }
    }
  }

  private Element one(Element parent, String name) {
    Element found = optional(parent, name);
    if (found == null) {
      throw error(parent, "<" + parent.name() + "> needs a <" + name + ">");
    }
    return found;
  }

  private Element optional(Element parent, String name) {
    Element found = null;
    for (Element child : parent.children()) {
      if (child.name().equals(name)) {
        if (found != null) {
          throw error(child, "<" + name + "> appears twice inside <" + parent.name() + ">");
        }
        found = child;
      }
    }
    return found;
  }

  private static String text(Element element) {
    return element.text().toString().trim();
  }

  private Duration duration(Element element) {
    try {
      return IsoDuration.parse(text(element));
    } catch (IllegalArgumentException e) {
      throw error(element, "<" + element.name() + ">: " + e.getMessage());
    }
  }

  private Duration optionalDuration(Element parent, String name) {
    Element element = optional(parent, name);
    return element == null ? null : duration(element);
  }

  private int number(Element element, int min, int max) {
    return bounded(element, "<" + element.name() + ">", text(element), min, max);
  }

  private int attributeNumber(Element element, String attribute, int min, int max) {
    String value = element.attributes().get(attribute);
    if (value == null) {
      throw error(element, "<" + element.name() + "> needs a " + attribute + " attribute");
    }
    return bounded(element, "<" + element.name() + " " + attribute + ">", value.trim(), min, max);
  }

  private int bounded(Element element, String what, String value, int min, int max) {
    try {
      int number = Integer.parseInt(value);
      if (number < min || number > max) {
        throw error(element, what + " is " + number + "; it must be " + min + " to " + max);
      }
      return number;
    } catch (NumberFormatException e) {
      throw error(element, what + " '" + value + "' is not a number");
    }
  }

  private KaspException error(Element element, String message) {
    return new KaspException(file + ":" + element.line() + ": " + message);
  }
}
