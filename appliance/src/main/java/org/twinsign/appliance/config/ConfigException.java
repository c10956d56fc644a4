package org.twinsign.appliance.config;

/** The configuration is missing, unreadable or wrong; the message names the file and the key. */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
