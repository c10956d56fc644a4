package org.twinsign.appliance.policy;

import java.time.Duration;
import java.util.List;

/**
 * Writes policies back as OpenDNSSEC kasp.xml, every parameter kept, so that {@code policy export}
 * gives a file {@code policy import} (and OpenDNSSEC) reads to the same policies. Durations are
 * written in days, hours, minutes and seconds, which both read the same way.
 */
public final class KaspWriter {
  private KaspWriter() {}

  public static String write(List<KaspPolicy> policies) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KASP>\n");
    for (KaspPolicy policy : policies) {
      policy(xml, policy);
    }
    return xml.append("</KASP>\n").toString();
  }

  private static void policy(StringBuilder xml, KaspPolicy p) {
    xml.append("  <Policy name=\"").append(escape(p.name())).append("\">\n");
    xml.append("    <Description>").append(escape(p.description())).append("</Description>\n");
    if (p.passthrough()) {
      xml.append("    <Passthrough/>\n");
    }
    KaspPolicy.Signatures s = p.signatures();
    xml.append("    <Signatures>\n");
    element(xml, 6, "Resign", s.resign());
    element(xml, 6, "Refresh", s.refresh());
    xml.append("      <Validity>\n");
    element(xml, 8, "Default", s.validityDefault());
    element(xml, 8, "Denial", s.validityDenial());
    element(xml, 8, "Keyset", s.validityKeyset());
    xml.append("      </Validity>\n");
    element(xml, 6, "Jitter", s.jitter());
    element(xml, 6, "InceptionOffset", s.inceptionOffset());
    element(xml, 6, "MaxZoneTTL", s.maxZoneTtl());
    xml.append("    </Signatures>\n    <Denial>\n");
    KaspPolicy.Denial d = p.denial();
    if (!d.nsec3()) {
      xml.append("      <NSEC/>\n");
    } else {
      xml.append("      <NSEC3>\n");
      element(xml, 8, "TTL", d.ttl());
      if (d.optOut()) {
        xml.append("        <OptOut/>\n");
      }
      element(xml, 8, "Resalt", d.resalt());
      xml.append("        <Hash>\n");
      xml.append("          <Algorithm>").append(d.hashAlgorithm()).append("</Algorithm>\n");
      xml.append("          <Iterations>").append(d.iterations()).append("</Iterations>\n");
      xml.append("          <Salt length=\"").append(d.saltLength()).append('"')
          .append(d.salt() == null ? "/>\n" : ">" + escape(d.salt()) + "</Salt>\n");
      xml.append("        </Hash>\n      </NSEC3>\n");
    }
    xml.append("    </Denial>\n    <Keys>\n");
    KaspPolicy.Keys k = p.keys();
    element(xml, 6, "TTL", k.ttl());
    element(xml, 6, "RetireSafety", k.retireSafety());
    element(xml, 6, "PublishSafety", k.publishSafety());
    if (k.shareKeys()) {
      xml.append("      <ShareKeys/>\n");
    }
    element(xml, 6, "Purge", k.purge());
    for (KaspPolicy.Key key : k.keys()) {
      xml.append("      <").append(key.role()).append(">\n");
      xml.append("        <Algorithm length=\"").append(key.length()).append("\">").append(key.algorithm())
          .append("</Algorithm>\n");
      element(xml, 8, "Lifetime", key.lifetime());
      xml.append("        <Repository>").append(escape(key.repository())).append("</Repository>\n");
      if (key.standby() > 0) {
        xml.append("        <Standby>").append(key.standby()).append("</Standby>\n");
      }
      if (key.manualRollover()) {
        xml.append("        <ManualRollover/>\n");
      }
      if (key.rollType() != null) {
        String roll = key.role().charAt(0) + key.role().substring(1).toLowerCase() + "RollType";
        xml.append("        <").append(roll).append('>').append(key.rollType()).append("</").append(roll).append(">\n");
      }
      if (key.rfc5011()) {
        xml.append("        <RFC5011/>\n");
      }
      xml.append("      </").append(key.role()).append(">\n");
    }
    xml.append("    </Keys>\n    <Zone>\n");
    element(xml, 6, "PropagationDelay", p.zone().propagationDelay());
    xml.append("      <SOA>\n");
    element(xml, 8, "TTL", p.zone().soaTtl());
    element(xml, 8, "Minimum", p.zone().soaMinimum());
    xml.append("        <Serial>").append(p.zone().serial()).append("</Serial>\n      </SOA>\n    </Zone>\n");
    KaspPolicy.Parent parent = p.parent();
    xml.append("    <Parent>\n");
    element(xml, 6, "PropagationDelay", parent.propagationDelay());
    xml.append("      <DS>\n");
    element(xml, 8, "TTL", parent.dsTtl());
    xml.append("      </DS>\n      <SOA>\n");
    element(xml, 8, "TTL", parent.soaTtl());
    element(xml, 8, "Minimum", parent.soaMinimum());
    xml.append("      </SOA>\n");
    element(xml, 6, "RegistrationDelay", parent.registrationDelay());
    xml.append("    </Parent>\n  </Policy>\n");
  }

  private static void element(StringBuilder xml, int indent, String name, Duration value) {
    if (value != null) {
      xml.append(" ".repeat(indent)).append('<').append(name).append('>').append(duration(value)).append("</")
          .append(name).append(">\n");
    }
  }

  /** xsd:duration in days and time units only: a year or month would be read back as 365 or 31 days anyway. */
  static String duration(Duration value) {
    long seconds = value.getSeconds();
    long days = seconds / 86_400;
    long rest = seconds % 86_400;
    StringBuilder text = new StringBuilder("P");
    if (days > 0) {
      text.append(days).append('D');
    }
    if (rest > 0 || days == 0) {
      text.append('T');
      if (rest / 3600 > 0) {
        text.append(rest / 3600).append('H');
      }
      if (rest % 3600 / 60 > 0) {
        text.append(rest % 3600 / 60).append('M');
      }
      if (rest % 60 > 0 || rest == 0) {
        text.append(rest % 60).append('S');
      }
    }
    return text.toString();
  }

  private static String escape(String text) {
    return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
