package org.twinsign.appliance.alert;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What the alert mailer saw of the SMTP server's certificate at its last TLS handshake: the
 * server's own certificate once trusted, or why it was refused (not trusted, expired, a name that
 * is not the server's). The JDK's trust manager judges; this one only watches it, and has each
 * socket check the server's name during the handshake so that a wrong name is said as such.
 */
public final class SmtpCertificate {
  /** A handshake's outcome: the certificate the server showed, and the problem if it was refused. */
  public record Seen(Instant at, X509Certificate certificate, String problem) {}

  private volatile Seen last;

  /** The last handshake's outcome; null before the first. */
  public Seen last() {
    return last;
  }

  /** A socket factory whose sockets trust as {@code trust} does, check the server's name, and report here. */
  SSLSocketFactory socketFactory(X509ExtendedTrustManager trust) throws java.security.GeneralSecurityException {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new Watch(trust)}, null);
    return new NameChecking(context.getSocketFactory());
  }

  private final class Watch extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;

    Watch(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    private void judged(X509Certificate[] chain, Check check) throws CertificateException {
      X509Certificate leaf = chain == null || chain.length == 0 ? null : chain[0];
      try {
        check.run();
      } catch (CertificateException e) {
        String subject = leaf == null ? "the server's certificate" : "the certificate of "
            + leaf.getSubjectX500Principal().getName() + " (valid until " + leaf.getNotAfter().toInstant() + ")";
        last = new Seen(Instant.now(), leaf, subject + " is refused: " + e.getMessage());
        throw e;
      }
      last = new Seen(Instant.now(), leaf, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      judged(chain, () -> delegate.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      judged(chain, () -> delegate.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      judged(chain, () -> delegate.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  private interface Check {
    void run() throws CertificateException;
  }

  /** Sets the endpoint identification on each socket, so that the trust manager checks the server's name. */
  private static final class NameChecking extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    NameChecking(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

    private static Socket named(Socket socket) {
      SSLSocket ssl = (SSLSocket) socket;
      SSLParameters parameters = ssl.getSSLParameters();
      // the rules of RFC 6125 as HTTPS applies them: SMTP clients check a server's name the same way
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(parameters);
      return ssl;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return named(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return named(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return named(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return named(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return named(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return named(delegate.createSocket(address, port, localAddress, localPort));
    }
  }
}
