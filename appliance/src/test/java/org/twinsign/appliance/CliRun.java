package org.twinsign.appliance;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.twinsign.appliance.cli.TwinsignCommand;

/** Runs the {@code twinsign} CLI in this JVM, as an operator would, and keeps what it printed. */
public record CliRun(int exit, String out, String err) {

  public static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = TwinsignCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }
}
