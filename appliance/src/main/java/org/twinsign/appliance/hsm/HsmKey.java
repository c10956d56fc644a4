package org.twinsign.appliance.hsm;

import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/**
 * A key pair on a token: its locator and label, the DNSSEC algorithm it serves, its public key in
 * DNSKEY wire form (RFC 3110, RFC 6605, RFC 8080), its size in bits, and the private key's object
 * handle (valid for every session of this process).
 */
public record HsmKey(KeyLocator locator, String label, DnssecAlgorithm algorithm, int bits, byte[] publicKey,
    long privateHandle) {

  /** The same key, used with another algorithm of its family (RSASHA256 / RSASHA512). */
  public HsmKey withAlgorithm(DnssecAlgorithm other) {
    if (other.family() != algorithm.family() || other.coordinateLength() != algorithm.coordinateLength()) {
      throw new HsmException("key " + locator + " is a " + algorithm + " key and cannot sign as " + other);
    }
    return new HsmKey(locator, label, other, bits, publicKey, privateHandle);
  }
}
