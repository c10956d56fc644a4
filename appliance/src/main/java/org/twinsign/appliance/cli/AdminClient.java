package org.twinsign.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import picocli.CommandLine;

/**
 * The CLI's way into a pair: it sends the operator's command to its node's admin endpoint, which
 * runs it (or has the master run it) and answers with the output and exit code. The admin token
 * goes in a header, never on a command line.
 */
public final class AdminClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** One client for the process: each one holds a selector thread (the nodes ask each other every second). */
  private static final HttpClient HTTP;

  static {
    // an idle connection is dropped here before the JDK's HTTP server closes it (after 30 s idle):
    // a POST on a connection the server already closed fails ("header parser received no bytes")
    // and is not retried, since it may not be idempotent
    if (System.getProperty("jdk.httpclient.keepalive.timeout") == null) {
      System.setProperty("jdk.httpclient.keepalive.timeout", "10");
    }
    HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }
  /** Marks a command a node sends on to the master: the master runs it and never sends it on again. */
  public static final String FORWARDED = "X-Twinsign-Forwarded";

  private final String address;
  private final String token;
  private final String origin;
  private boolean forwarded;

  public AdminClient(String address, String token, String origin) {
    this.address = address;
    this.token = token;
    this.origin = origin;
  }

  /** This call is a node forwarding an operator's command to the master. */
  public AdminClient forwarded() {
    this.forwarded = true;
    return this;
  }

  /** The client of this node's own admin endpoint ({@code admin.address}, {@code admin.token.file}). */
  public static AdminClient forConfig(TwinsignConfig config) {
    PairConfig pair = config.pair();
    return new AdminClient(pair.adminHost() + ":" + pair.adminPort(),
        PairConfig.secret(pair.adminTokenFile(), "admin.token.file"), "admin.address in " + config.source());
  }

  /** What a node answered: exit code, output, error output, and who answered. */
  public record Answer(int exit, String out, String err, String node, String role) {}

  /** Runs {@code args} on the node and prints what it answered; a failure there fails here with its code. */
  void execute(List<String> args, CommandLine commandLine) {
    Answer answer = call(args);
    commandLine.getOut().print(answer.out());
    commandLine.getOut().flush();
    commandLine.getErr().print(answer.err());
    commandLine.getErr().println("(answered by node " + answer.node() + ", " + answer.role() + ")");
    commandLine.getErr().flush();
    if (answer.exit() != 0) {
      throw new RemoteExit(answer.exit());
    }
  }

  public Answer call(List<String> args) {
    return call(args, Duration.ofMinutes(30)); // an enforce of many zones takes a while
  }

  /** As {@link #call(List)}, waiting at most {@code timeout} for the answer. */
  public Answer call(List<String> args, Duration timeout) {
    JsonNode json = post("/v1/command", Map.of("args", args), timeout);
    return new Answer(json.path("exit").asInt(1), json.path("out").asText(""), json.path("err").asText(""),
        json.path("node").asText("?"), json.path("role").asText("?"));
  }

  /**
   * One of the requests the nodes of a pair make of each other ({@code POST /v1/peer/OP}: key sync's
   * lookups, the KEK ceremony); the answer's JSON, or an error naming the node and what it said.
   */
  public JsonNode peer(String op, Map<String, ?> body, Duration timeout) {
    return post("/v1/peer/" + op, body, timeout);
  }

  private JsonNode post(String path, Object body, Duration timeout) {
    try {
      HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + address + path))
          .timeout(timeout)
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json");
      if (forwarded) {
        builder.header(FORWARDED, "1");
      }
      HttpRequest request = builder.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body),
          StandardCharsets.UTF_8)).build();
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      JsonNode json = JSON.readTree(response.body());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("the node at " + address + " refused the request (HTTP "
            + response.statusCode() + "): " + json.path("error").asText(response.body()));
      }
      return json;
    } catch (ConnectException e) {
      throw new IllegalStateException("no node daemon answers at " + address + " (" + origin
          + "): is 'twinsign node run' running there?");
    } catch (IOException e) {
      throw new IllegalStateException("talking to the node at " + address + " (" + origin + ") failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the node at " + address);
    }
  }
}
