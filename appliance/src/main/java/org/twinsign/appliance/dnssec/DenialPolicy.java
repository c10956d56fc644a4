package org.twinsign.appliance.dnssec;

/** Authenticated denial of existence: an NSEC chain, or an NSEC3 chain with its parameters. */
public record DenialPolicy(Nsec3Parameters nsec3) {
  public static final DenialPolicy NSEC = new DenialPolicy(null);

  public static DenialPolicy nsec3(Nsec3Parameters parameters) {
    return new DenialPolicy(parameters);
  }

  public boolean isNsec3() {
    return nsec3 != null;
  }
}
