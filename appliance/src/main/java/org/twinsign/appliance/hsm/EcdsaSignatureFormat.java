package org.twinsign.appliance.hsm;

/** RFC 6605 §4: an ECDSA signature in DNS is r||s, each left-padded to the curve size; JCA gives DER. */
final class EcdsaSignatureFormat {
  private EcdsaSignatureFormat() {}

  static byte[] derToRaw(byte[] der, int size) {
    // SEQUENCE { INTEGER r, INTEGER s }
    int offset = 2;
    if ((der[1] & 0x80) != 0) {
      offset = 2 + (der[1] & 0x7f);
    }
    byte[] raw = new byte[2 * size];
    offset = copyInteger(der, offset, raw, 0, size);
    copyInteger(der, offset, raw, size, size);
    return raw;
  }

  private static int copyInteger(byte[] der, int offset, byte[] out, int at, int size) {
    if (der[offset] != 0x02) {
      throw new IllegalArgumentException("not a DER ECDSA signature");
    }
    int length = der[offset + 1] & 0xff;
    int start = offset + 2;
    int end = start + length;
    while (length > size && der[start] == 0) {
      start++;
      length--;
    }
    if (length > size) {
      throw new IllegalArgumentException("ECDSA integer longer than the curve");
    }
    System.arraycopy(der, start, out, at + size - length, length);
    return end;
  }
}
