package org.twinsign.appliance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.KekService;
import org.twinsign.appliance.service.KeyRepositorySet;
import org.twinsign.fencing.EpochLease;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign kek ...}: the key-encryption key under which zone keys move between the pair's
 * HSMs ({@code keysync=wrap}). Online ({@code status}, {@code generate}, {@code import}), a
 * pair's node daemon carries the KEK to or from its peer's HSM under a one-time transport key. The
 * same ceremony also runs offline, step by step, on each node's HSM with the daemons stopped
 * ({@code generate --local}, {@code transport-key}, {@code export}, {@code import --wrapped},
 * {@code seal}): the files passed between the nodes hold a public key and a wrapped KEK, never a
 * plaintext key.
 */
@Command(name = "kek", description = {"The key-encryption key both nodes' HSMs hold (keysync=wrap).",
    "It never leaves an HSM in clear: it travels once, wrapped under a one-time RSA-3072 transport key of the",
    "receiving HSM (RSA-OAEP), and is sealed (not extractable) in both once they hold it.",
    "Online: 'kek generate' on one node (both daemons running) hands it to the other; 'kek status' on either.",
    "Offline, daemons stopped: receiver 'kek transport-key --out T'; sender 'kek generate --local', then",
    "'kek export --transport T --out W'; receiver 'kek import --wrapped W --check CV'; sender 'kek seal --check CV'."},
    subcommands = {KekCommand.Status.class, KekCommand.Generate.class, KekCommand.Import.class,
        KekCommand.TransportKey.class, KekCommand.Export.class, KekCommand.Seal.class})
final class KekCommand extends CommandGroup {

  /**
   * A kek command. Online in a pair it runs in this node's daemon (never forwarded: it is about this
   * node's HSMs); offline, or on a single signer, on this node's HSMs directly.
   */
  abstract static class OnKek implements Runnable, Routed {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--repository", paramLabel = "NAME",
        description = "Only this PKCS#11 repository (default: every one configured).")
    String repository;

    /** Online in a pair: through the node daemon. Null: this step is offline only. */
    List<String> inPair(KekOperations kek) {
      return null;
    }

    /** On this node's HSMs directly. */
    abstract List<String> local(KekService kek, List<String> repositories);

    /** Whether this invocation runs on the HSMs directly even in a pair (an offline step). */
    boolean offline() {
      return true;
    }

    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    public void run() {
      TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
      PrintWriter out = spec.commandLine().getOut();
      if (root.node != null && !offline()) {
        inPair(root.node.kek()).forEach(out::println);
        out.flush();
        return;
      }
      TwinsignConfig config = root.config();
      if (config.pair() != null && !offline()) {
        AdminClient.forConfig(config).execute(root.arguments(), spec.commandLine());
        return;
      }
      EpochLease none = new EpochLease(1);
      none.revoke("the KEK ceremony changes no store state");
      try (KeyRepositorySet repositories = new KeyRepositorySet(config, none)) {
        KekService kek = new KekService(repositories);
        List<String> names = kek.repositories();
        if (repository != null) {
          if (!names.contains(repository)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--repository " + repository + " is not a"
                + " PKCS#11 repository of " + config.source() + " (there are: " + names + ")");
          }
          names = List.of(repository);
        }
        local(kek, names).forEach(out::println);
      }
      out.flush();
    }

    /** The one repository a file-based step works on. */
    String one(List<String> names) {
      if (names.size() != 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "this step works on one repository: give"
            + " --repository NAME (there are: " + names + ")");
      }
      return names.get(0);
    }
  }

  @Command(name = "status", description = "The KEK's check value in this node's HSMs and in the peer's, and whether they match.")
  static final class Status extends OnKek {
    @Override
    List<String> inPair(KekOperations kek) {
      return kek.status();
    }

    @Override
    boolean offline() {
      return false;
    }

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      Map<String, String> status = kek.status();
      return repositories.stream().map(r -> "repository " + r + ": " + status.get(r)).toList();
    }
  }

  @Command(name = "generate", description = {"Generate the KEK in this node's HSMs and hand it to the peer's.",
      "If the peer is not running, carry it with the offline steps. --local: only generate (offline step)."})
  static final class Generate extends OnKek {
    @Option(names = "--local", description = "Only generate it in this node's HSMs (the offline ceremony's first step).")
    boolean local;

    @Override
    List<String> inPair(KekOperations kek) {
      return kek.generate();
    }

    @Override
    boolean offline() {
      return local;
    }

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      return repositories.stream().map(r -> "repository " + r + ": key-encryption key generated, check value "
          + kek.generate(r) + " (extractable until 'kek export' and 'kek seal' finish the ceremony)").toList();
    }
  }

  @Command(name = "import", description = {"Offline: import the KEK 'kek export' wrapped for this node's transport key.",
      "Give the wrapped KEK file and the sender's check value. A node never hands its KEK out on request: the",
      "KEK reaches another HSM only by 'kek generate' on its node, or by 'kek export' there."})
  static final class Import extends OnKek {
    @Option(names = "--wrapped", required = true, paramLabel = "FILE", description = "The wrapped KEK 'kek export' wrote.")
    Path wrapped;

    @Option(names = "--check", required = true, paramLabel = "CV", description = "The sender's check value, from 'kek export'.")
    String check;

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      String name = one(repositories);
      return List.of("repository " + name + ": key-encryption key imported, check value " + kek.importWrapped(name,
          read(wrapped), check) + "; the transport key is destroyed. On the other node: 'kek seal --check "
          + check + "'");
    }
  }

  @Command(name = "transport-key", description = {"Offline: make a one-time transport key in this node's HSM.",
      "Its public half goes to FILE, for the node that holds the KEK ('kek export --transport FILE')."})
  static final class TransportKey extends OnKek {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where the public transport key goes.")
    Path out;

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      String name = one(repositories);
      write(out, kek.transportKey(name));
      return List.of("repository " + name + ": transport key made; its public half is in " + out
          + " (not secret): take it to the node that holds the KEK");
    }
  }

  @Command(name = "export", description = {"Offline: wrap this node's KEK under the other node's transport key.",
      "It goes to FILE (only that HSM can open it); prints the check value to give 'kek import'."})
  static final class Export extends OnKek {
    @Option(names = "--transport", required = true, paramLabel = "FILE", description = "The other node's transport key.")
    Path transport;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where the wrapped KEK goes.")
    Path out;

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      String name = one(repositories);
      Map<String, String> exported = kek.export(name, read(transport));
      write(out, exported.get("wrapped"));
      return List.of("repository " + name + ": key-encryption key wrapped for the other node's HSM in " + out
          + "; check value " + exported.get("check") + " (give it to 'kek import --check')");
    }
  }

  @Command(name = "seal", description = {"Offline: make this node's KEK non-extractable once the other node holds it.",
      "The check value 'kek import' printed must be this one's."})
  static final class Seal extends OnKek {
    @Option(names = "--check", required = true, paramLabel = "CV", description = "The check value the other node imported.")
    String check;

    @Override
    List<String> local(KekService kek, List<String> repositories) {
      String name = one(repositories);
      return List.of("repository " + name + ": key-encryption key " + kek.seal(name, check)
          + " sealed: it never leaves this HSM again");
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
