package org.twinsign.testkit;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A mail submission server as operators run one (port 587 style): SMTP that requires STARTTLS
 * and then AUTH with one account. It is Debian's aiosmtpd in a process of its own, with an
 * openssl certificate for 127.0.0.1 ({@link #certificate()}); each message it takes is a file of
 * a Maildir ({@link #receivedMessages()}). GreenMail, the other test server, has no STARTTLS.
 */
public final class SubmissionServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final LocalProcess process;

  private SubmissionServer(Path dir, int port, LocalProcess process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts the server with the account {@code user}/{@code password}; returns once it listens. */
  public static SubmissionServer start(String user, String password) {
    // Debian's interpreter, which has Debian's aiosmtpd (not one a version manager put first on PATH)
    Path python = HostTool.require("python3", "python3-aiosmtpd", List.of(Path.of("/usr/bin")));
    Path openssl = HostTool.require("openssl", "openssl");
    Path dir = TempDirs.create("submission");
    try {
      if (LocalProcess.run("aiosmtpd check", List.of(python.toString(), "-c", "import aiosmtpd"), Map.of(), dir,
          dir.resolve("check.log"), "", Duration.ofSeconds(30)) != 0) {
        throw new HostSetupException("aiosmtpd is missing: apt-get install python3-aiosmtpd");
      }
      // a certificate for 127.0.0.1 that expires in two days, as the GreenMail one
      if (LocalProcess.run("openssl", List.of(openssl.toString(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj",
          "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"), Map.of(), dir, dir.resolve("openssl.log"), "",
          Duration.ofSeconds(30)) != 0) {
        throw new HostSetupException("openssl could not make a certificate: " + Files.readString(
            dir.resolve("openssl.log")).strip());
      }
      Path passwordFile = dir.resolve("password");
      Files.writeString(passwordFile, password + "\n");
      Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
      Path script = dir.resolve("submission-server.py");
      try (InputStream in = SubmissionServer.class.getResourceAsStream("submission-server.py")) {
        Files.copy(in, script);
      }
      int port = Ports.freeLoopbackPort();
      Ports.requireFree(port, "the submission server");
      LocalProcess process = LocalProcess.start("aiosmtpd", List.of(python.toString(), script.toString(), "127.0.0.1",
          Integer.toString(port), "cert.pem", "key.pem", "maildir", user, passwordFile.toString()), Map.of(), dir,
          dir.resolve("server.log"));
      SubmissionServer server = new SubmissionServer(dir, port, process);
      server.awaitListening();
      return server;
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up the submission server in " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      TempDirs.deleteRecursively(dir);
      throw e;
    }
  }

  private void awaitListening() {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        process.close();
        throw new HostSetupException("aiosmtpd exited: " + process.logTail(20));
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    process.close();
    throw new HostSetupException("aiosmtpd does not listen on 127.0.0.1:" + port + ": " + process.logTail(20));
  }

  public int port() {
    return port;
  }

  /** The server's certificate (PEM), for {@code alert.smtp.trust-file}. */
  public Path certificate() {
    return dir.resolve("cert.pem");
  }

  /** Every message taken so far (aiosmtpd adds X-MailFrom and X-RcptTo). */
  public List<MimeMessage> receivedMessages() {
    List<MimeMessage> messages = new ArrayList<>();
    Session session = Session.getInstance(new Properties());
    for (String sub : List.of("new", "cur")) {
      Path folder = dir.resolve("maildir").resolve(sub);
      if (!Files.isDirectory(folder)) {
        continue;
      }
      try (Stream<Path> files = Files.list(folder)) {
        for (Path file : files.sorted().toList()) {
          try (InputStream in = Files.newInputStream(file)) {
            messages.add(new MimeMessage(session, in));
          }
        }
      } catch (IOException | jakarta.mail.MessagingException e) {
        throw new IllegalStateException("cannot read the Maildir " + folder + ": " + e.getMessage(), e);
      }
    }
    return messages;
  }

  /** The server's log (its SMTP dialogues are not logged; errors are). */
  public String log() {
    return process.logTail(50);
  }

  @Override
  public void close() {
    process.close();
    TempDirs.deleteRecursively(dir);
  }

  @Override
  public String toString() {
    return "submission server (aiosmtpd, STARTTLS + AUTH) on 127.0.0.1:" + port;
  }
}
