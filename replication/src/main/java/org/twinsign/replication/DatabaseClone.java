package org.twinsign.replication;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rebuilds a replica from its primary, as MaxScale's rebuild does: a consistent dump of the
 * primary's schema with its GTID position ({@code mariadb-dump --single-transaction --gtid}),
 * loaded into the local server after its own binary log is reset (so that transactions only it
 * had, the errant ones, are gone), then replication from that position. The local server stays
 * read-only throughout. Each run starts from scratch, so an interrupted rebuild is simply run
 * again. Credentials go to the tools in a 0600 options file, never on a command line.
 */
public final class DatabaseClone {
  /** One server as the tools reach it, with the admin account. */
  public record Server(String host, int port, String user, char[] password) {
    @Override
    public String toString() {
      return user + "@" + host + ":" + port;
    }
  }

  private static final Pattern GTID = Pattern.compile("(?m)^-- SET GLOBAL gtid_slave_pos='([^']*)';");

  private final Path dump;
  private final Path client;
  private final Path work;

  /**
   * @param dump {@code mariadb-dump}
   * @param client {@code mariadb}
   * @param work a private directory for the dump and the options files (removed afterwards)
   */
  public DatabaseClone(Path dump, Path client, Path work) {
    this.dump = dump;
    this.client = client;
    this.work = work;
  }

  /**
   * Replaces {@code local}'s {@code schema} with {@code primary}'s and makes {@code role} (the local
   * server) a replica of {@code source} from the dump's position.
   *
   * @return the GTID position the replica starts from
   */
  public GtidPosition rebuild(MariaDbRole role, Server local, Server primary, ReplicationSource source,
      String schema) throws IOException, SQLException, InterruptedException {
    Files.createDirectories(work);
    Path primaryOptions = options("primary", primary);
    Path localOptions = options("local", local);
    Path file = work.resolve("dump.sql");
    try {
      run(List.of(dump.toString(), "--defaults-extra-file=" + primaryOptions, "--single-transaction", "--gtid",
          "--master-data=2", "--hex-blob", "--routines", "--triggers", "--databases", schema), null, file,
          "dumping " + schema + " from " + primary);
      // MariaDB 10.11's dump prints the position at its end ("the deferred gtid setting"), older ones at the top
      String position = position(file);
      if (position == null) {
        throw new IllegalStateException("the dump of " + primary + " has no GTID position (is its binary log on?)");
      }
      GtidPosition at = GtidPosition.parse(position);
      role.resetForClone(schema);
      // loaded without binary logging: the rows are the primary's transactions, not new ones here
      Path load = work.resolve("load.sql");
      Files.writeString(load, "SET SESSION sql_log_bin = 0;\n", StandardCharsets.UTF_8);
      Files.write(load, Files.readAllBytes(file), StandardOpenOption.APPEND);
      run(List.of(client.toString(), "--defaults-extra-file=" + localOptions), load, null,
          "loading the dump into " + local);
      role.startFrom(at, source);
      return at;
    } finally {
      for (Path p : List.of(primaryOptions, localOptions, file, work.resolve("load.sql"))) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The last {@code -- SET GLOBAL gtid_slave_pos='...';} comment of the dump, read line by line; or null. */
  private static String position(Path file) throws IOException {
    String found = null;
    try (var lines = Files.lines(file, StandardCharsets.ISO_8859_1)) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.startsWith("-- SET GLOBAL gtid_slave_pos=")) {
          Matcher m = GTID.matcher(line);
          found = m.find() ? m.group(1) : found;
        }
      }
    }
    return found;
  }

  private Path options(String name, Server server) throws IOException {
    Path file = work.resolve(name + ".cnf");
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    // quoted: in an option file an unquoted # starts a comment and backslashes are escapes
    String password = new String(server.password()).replace("\\", "\\\\").replace("\"", "\\\"");
    Files.writeString(file, "[client]\nhost=" + server.host() + "\nport=" + server.port() + "\nuser=" + server.user()
        + "\npassword=\"" + password + "\"\n", StandardCharsets.UTF_8);
    return file;
  }

  private void run(List<String> command, Path stdin, Path stdout, String what)
      throws IOException, InterruptedException {
    Path errors = work.resolve("tool.err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
    builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
        : ProcessBuilder.Redirect.from(stdin.toFile()));
    builder.redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(
        stdout.toFile()));
    Process process = builder.start();
    try {
      if (!process.waitFor(Duration.ofHours(2).toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(what + " did not finish within 2 hours");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly(); // an interrupted rebuild leaves no tool running
      throw e;
    }
    String said = Files.exists(errors) ? Files.readString(errors).strip() : "";
    Files.deleteIfExists(errors);
    if (process.exitValue() != 0) {
      throw new IllegalStateException(what + " failed (" + command.get(0) + " exit " + process.exitValue() + "): "
          + said);
    }
  }
}
