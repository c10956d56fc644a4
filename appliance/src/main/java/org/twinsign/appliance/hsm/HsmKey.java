package org.twinsign.appliance.hsm;

import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/**
 * A key pair on a token: its locator and label, the DNSSEC algorithm it serves, its public key in
 * DNSKEY wire form (RFC 3110, RFC 6605, RFC 8080), its size in bits, and the private key's object
 * handle (valid for every session of this process).
 */
public record HsmKey(KeyLocator locator, String label, DnssecAlgorithm algorithm, int bits, byte[] publicKey,
    long privateHandle) {

  /**
   * The key as it signs when the operator chose an RSA algorithm ({@code --algorithm}): an RSA key
   * takes the choice, any other key (or no choice) stays as it is.
   */
  public HsmKey withRsaChoice(DnssecAlgorithm choice) {
    return choice != null && algorithm.family() == DnssecAlgorithm.KeyFamily.RSA ? withAlgorithm(choice) : this;
  }

  /** The same key, used with another algorithm of its family (RSASHA256 / RSASHA512). */
  public HsmKey withAlgorithm(DnssecAlgorithm other) {
    if (other.family() != algorithm.family() || other.coordinateLength() != algorithm.coordinateLength()) {
      throw new HsmException("key " + locator + " is a " + algorithm + " key and cannot sign as " + other);
    }
    return new HsmKey(locator, label, other, bits, publicKey, privateHandle);
  }
}
