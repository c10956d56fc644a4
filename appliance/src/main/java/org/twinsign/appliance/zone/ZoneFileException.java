package org.twinsign.appliance.zone;

/** A zone file cannot be read or fails a sanity check. The message names the file and, where known, the line. */
public class ZoneFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ZoneFileException(String message) {
    super(message);
  }

  public ZoneFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
