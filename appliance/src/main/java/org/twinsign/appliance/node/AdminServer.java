package org.twinsign.appliance.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.config.ConfigException;

/**
 * The node's admin endpoint: HTTP with JSON, on {@code admin.address} (loopback by default).
 * {@code POST /v1/command} with {@code {"args": [...]}} runs an operator's command and answers
 * {@code {"exit", "out", "err", "node", "role"}}; {@code GET /v1/whoami} says which node and role.
 * Every request carries the cluster's admin token ({@code Authorization: Bearer}); bodies are
 * limited in size, and a few requests run at a time.
 */
final class AdminServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 64 * 1024;

  private final HttpServer server;
  private final ExecutorService workers;

  private AdminServer(HttpServer server, ExecutorService workers) {
    this.server = server;
    this.workers = workers;
  }

  static AdminServer start(String host, int port, String token, AdminCommands commands) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (java.net.BindException e) {
      throw new ConfigException("admin.address " + host + ":" + port + " is in use or not an address of this host: "
          + e.getMessage());
    }
    ExecutorService workers = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "admin");
      t.setDaemon(true);
      return t;
    });
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    server.createContext("/v1/", exchange -> {
      try (exchange) {
        try {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          if (auth == null || !MessageDigest.isEqual(expected, auth.getBytes(StandardCharsets.UTF_8))) {
            reply(exchange, 401, Map.of("error", "a valid admin token is needed (admin.token.file)"));
            return;
          }
          String path = exchange.getRequestURI().getPath();
          if (path.equals("/v1/whoami") && exchange.getRequestMethod().equals("GET")) {
            reply(exchange, 200, commands.whoAmI());
          } else if (path.equals("/v1/command") && exchange.getRequestMethod().equals("POST")) {
            JsonNode body = JSON.readTree(limited(exchange.getRequestBody()));
            List<String> args = new ArrayList<>();
            body.path("args").forEach(a -> args.add(a.asText()));
            AdminClient.Answer answer = commands.execute(args,
                exchange.getRequestHeaders().getFirst(AdminClient.FORWARDED) != null);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("exit", answer.exit());
            out.put("out", answer.out());
            out.put("err", answer.err());
            out.put("node", answer.node());
            out.put("role", answer.role());
            reply(exchange, 200, out);
          } else if (path.startsWith("/v1/peer/") && exchange.getRequestMethod().equals("POST")) {
            // the other node of the pair: key sync's lookups and the KEK ceremony
            reply(exchange, 200, commands.peer(path.substring("/v1/peer/".length()),
                JSON.readTree(limited(exchange.getRequestBody()))));
          } else {
            reply(exchange, 404, Map.of("error", "no such endpoint: " + exchange.getRequestMethod() + " " + path));
          }
        } catch (IOException | RuntimeException e) {
          LOG.warn("admin request failed: {}", e.toString());
          try {
            reply(exchange, 500, Map.of("error", String.valueOf(e.getMessage())));
          } catch (IOException | RuntimeException ignored) {
            // the client is gone
          }
        }
      } // closed after the reply, also the error's
    });
    server.setExecutor(workers);
    server.start();
    return new AdminServer(server, workers);
  }

  private static byte[] limited(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw new IOException("request body over " + MAX_BODY + " bytes");
    }
    return body;
  }

  private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
