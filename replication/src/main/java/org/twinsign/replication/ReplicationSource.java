package org.twinsign.replication;

/**
 * The primary a replica follows, as {@code CHANGE MASTER TO} needs it. The password is a secret:
 * it goes into that statement only, never into a message.
 */
public record ReplicationSource(String host, int port, String user, char[] password) {
  @Override
  public String toString() {
    return user + "@" + host + ":" + port;
  }
}
