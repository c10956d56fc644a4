package org.twinsign.appliance.demo;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.twinsign.appliance.cli.TwinsignCommand;

/**
 * The offline KEK ceremony for two SoftHSM tokens, as the documented script runs it
 * ({@code docs/pair.md}): each step is the {@code twinsign kek} command the operator runs on that
 * node. Arguments: the sender's config, the receiver's config, a working directory. Exit 0 when
 * both tokens hold the same sealed KEK.
 */
public final class KekCeremony {
  private static final Pattern CHECK = Pattern.compile("check value ([0-9a-f]{6})");

  private KekCeremony() {}

  public static void main(String[] args) throws Exception {
    Path sender = Path.of(args[0]);
    Path receiver = Path.of(args[1]);
    Path work = Files.createTempDirectory(Path.of(args[2]), "kek-");
    Path transport = work.resolve("transport.pub");
    Path wrapped = work.resolve("kek.wrapped");
    try {
      step(receiver, "kek", "transport-key", "--out", transport.toString());
      step(sender, "kek", "generate", "--local");
      String export = step(sender, "kek", "export", "--transport", transport.toString(), "--out", wrapped.toString());
      Matcher m = CHECK.matcher(export);
      if (!m.find()) {
        throw new IllegalStateException("'kek export' printed no check value: " + export);
      }
      step(receiver, "kek", "import", "--wrapped", wrapped.toString(), "--check", m.group(1));
      step(sender, "kek", "seal", "--check", m.group(1));
    } finally {
      Files.deleteIfExists(transport);
      Files.deleteIfExists(wrapped);
      Files.deleteIfExists(work);
    }
  }

  private static String step(Path config, String... command) {
    List<String> args = new ArrayList<>(List.of("--config", config.toString()));
    args.addAll(List.of(command));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var line = TwinsignCommand.commandLine();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int exit = line.execute(args.toArray(String[]::new));
    System.out.println("$ twinsign " + String.join(" ", args));
    System.out.print(out);
    System.out.print(err);
    if (exit != 0) {
      System.exit(exit);
    }
    return out.toString();
  }
}
