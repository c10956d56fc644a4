package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.twinsign.appliance.config.TwinsignConfig;

/**
 * A SoftHSM backup (a copy of its token directory, or of one token's directory) searched for keys
 * without being changed: SoftHSM 2.6 has no read-only object store, so the backup is copied into a
 * temporary directory and that copy is opened, by a separate process ({@code twinsign hsm list}
 * under its own {@code SOFTHSM2_CONF}: SoftHSM reads that once per process) with the repository's
 * library, token label and PIN file. The backup's own files are only read.
 */
final class SoftHsmBackup {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SoftHsmBackup() {}

  /** Whether a repository is a SoftHSM token, whose backup this class can open. */
  static boolean applies(TwinsignConfig.Repository repository) {
    return !repository.soft() && repository.library().getFileName().toString().contains("softhsm");
  }

  /** The locators (hex CKA_ID) of the keys in {@code backup}'s copy of {@code repository}'s token. */
  static Set<String> locators(TwinsignConfig.Repository repository, Path backup) {
    if (!Files.isDirectory(backup)) {
      throw new IllegalStateException("the backup " + backup + " is not a directory (yet)");
    }
    Path work = null;
    try {
      // the copy holds what the backup holds (keys under the token's PIN): for this user only
      work = Files.createTempDirectory("twinsign-backup-check-", java.nio.file.attribute.PosixFilePermissions
          .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      Path tokens = Files.createDirectory(work.resolve("tokens"));
      if (Files.exists(backup.resolve("token.object"))) {
        copy(backup, tokens.resolve(backup.getFileName().toString())); // one token's directory
      } else {
        copy(backup, tokens); // a whole token directory
      }
      Path softhsm = work.resolve("softhsm2.conf");
      Files.writeString(softhsm, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n"
          + "log.level = ERROR\nslots.removable = false\n");
      Path hsm = work.resolve("hsm.conf");
      // the PIN stays in its file: only the file's name is written here
      Files.writeString(hsm, "library=" + repository.library() + "\ntoken=" + repository.token() + "\npin.file="
          + repository.pinFile() + "\n");
      return list(hsm, softhsm, work, repository, backup);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the backup " + backup + ": " + e.getMessage(), e);
    } finally {
      if (work != null) {
        delete(work);
      }
    }
  }

  private static Set<String> list(Path hsm, Path softhsm, Path work, TwinsignConfig.Repository repository, Path backup)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    // the JDK's PKCS#11 wrapper, as bin/twinsign opens it
    command.addAll(List.of("--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), "org.twinsign.appliance.cli.TwinsignCommand", "hsm", "list", "--json",
        "--hsm", hsm.toString()));
    Path out = work.resolve("list.out");
    Path err = work.resolve("list.err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("SOFTHSM2_CONF", softhsm.toString());
    Process p = builder.start();
    try {
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("listing the keys of the backup " + backup + " took over 2 minutes");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing the backup " + backup);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("the backup " + backup + " has no readable token '" + repository.token()
          + "' of repository " + repository.name() + ": " + Files.readString(err, StandardCharsets.UTF_8).strip()
              .replaceFirst("^error: ", ""));
    }
    Set<String> locators = new TreeSet<>();
    for (JsonNode key : JSON.readTree(out.toFile())) {
      locators.add(key.path("locator").asText());
    }
    return locators;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary copy left behind holds no more than the backup it was made from
    }
  }
}
