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

  /**
   * Starts a server that speaks SMTP over implicit TLS (SMTPS) with a certificate for 127.0.0.1
   * made by keytool; its certificate (PEM) is in {@link #certificate()}. GreenMail reads its key
   * store once per JVM: every TLS server of a JVM has the first one's certificate.
   */
  public static synchronized SmtpServer startImplicitTls() {
    try {
      // GreenMail reads the key store once per JVM: it lives as long as the JVM, not in one test's directory
      if (System.getProperty("greenmail.tls.keystore.file") == null) {
        tlsDir = TempDirs.create("smtp-tls");
        java.nio.file.Files.setPosixFilePermissions(tlsDir, java.nio.file.attribute.PosixFilePermissions.fromString(
            "rwx------"));
        java.nio.file.Path made = tlsDir;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TempDirs.deleteRecursively(made)));
      }
      java.nio.file.Path store = java.nio.file.Path.of(System.getProperty("greenmail.tls.keystore.file",
          tlsDir.resolve("smtp-tls.p12").toString()));
      java.nio.file.Path pem = store.resolveSibling("smtp-tls.pem");
      if (System.getProperty("greenmail.tls.keystore.file") == null) {
        String keytool = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        String password = Long.toHexString(new java.security.SecureRandom().nextLong()) + "a1";
        run(password, keytool, "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass:env", "SMTP_TLS_PASSWORD",
            "-keypass:env", "SMTP_TLS_PASSWORD", "-alias", "greenmail", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
            "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2");
        run(password, keytool, "-exportcert", "-rfc", "-keystore", store.toString(), "-storepass:env", "SMTP_TLS_PASSWORD", "-alias",
            "greenmail", "-file", pem.toString());
        System.setProperty("greenmail.tls.keystore.password", password);
        System.setProperty("greenmail.tls.key.password", password);
        System.setProperty("greenmail.tls.keystore.file", store.toString());
      }
      int port = Ports.freeLoopbackPort();
      Ports.requireFree(port, "the SMTPS server");
      GreenMail greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS));
      greenMail.start();
      SmtpServer server = new SmtpServer(greenMail, port);
      server.certificate = pem;
      return server;
    } catch (java.io.IOException | InterruptedException e) {
      throw new HostSetupException("cannot make the SMTPS server's certificate: " + e.getMessage(), e);
    }
  }

  private static void run(String password, String... command) throws java.io.IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("SMTP_TLS_PASSWORD", password); // not on the command line
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new java.io.IOException(command[1] + ": " + out.strip());
    }
  }

  private java.nio.file.Path certificate;
  private static java.nio.file.Path tlsDir;

  /** The certificate (PEM) of a server from {@link #startImplicitTls}; null for plain SMTP. */
  public java.nio.file.Path certificate() {
    return certificate;
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
