package org.twinsign.appliance.service;

/**
 * What the store records as a zone's published version: the SHA-256 of the signed zone file and,
 * when changes were published since by appending them to the zone's journal (as Knot and BIND
 * publish incremental changes before the next zone-file sync), the serial the journal leads to.
 * The text form is {@code HEX} or {@code HEX+journal:SERIAL}.
 */
record PublishedDigest(String file, Long journalSerial) {
  private static final String JOURNAL = "+journal:";

  static PublishedDigest parse(String text) {
    if (text == null) {
      return null;
    }
    int at = text.indexOf(JOURNAL);
    return at < 0 ? new PublishedDigest(text, null)
        : new PublishedDigest(text.substring(0, at), Long.parseLong(text.substring(at + JOURNAL.length())));
  }

  /** The same file, with the journal leading on to {@code serial}. */
  PublishedDigest withJournalTo(long serial) {
    return new PublishedDigest(file, serial);
  }

  String text() {
    return journalSerial == null ? file : file + JOURNAL + journalSerial;
  }
}
