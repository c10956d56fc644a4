package org.twinsign.testkit;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;

/**
 * A GreenMail SMTP server on a free loopback port that keeps every message it receives, standing
 * in for the operators' mail relay.
 */
public final class SmtpServer implements AutoCloseable {
  private final GreenMail greenMail;
  private final int port;

  private SmtpServer(GreenMail greenMail, int port) {
    this.greenMail = greenMail;
    this.port = port;
  }

  /** Starts a server that accepts mail without authentication. */
  public static SmtpServer start() {
    int port = Ports.freeLoopbackPort();
    Ports.requireFree(port, "the SMTP server");
    GreenMail greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    return new SmtpServer(greenMail, port);
  }

  /** Requires SMTP AUTH with this account from now on. */
  public SmtpServer withUser(String address, String login, String password) {
    greenMail.setUser(address, login, password);
    greenMail.getManagers().getSmtpManager().getUserManager().setAuthRequired(true);
    return this;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** Every message received so far. */
  public List<MimeMessage> receivedMessages() {
    return List.of(greenMail.getReceivedMessages());
  }

  /** Waits until {@code count} messages have arrived in total; false on timeout. */
  public boolean awaitMessages(int count, Duration timeout) {
    return greenMail.waitForIncomingEmail(timeout.toMillis(), count);
  }

  @Override
  public void close() {
    greenMail.stop();
  }

  @Override
  public String toString() {
    return "SMTP server (GreenMail) on 127.0.0.1:" + port;
  }
}
