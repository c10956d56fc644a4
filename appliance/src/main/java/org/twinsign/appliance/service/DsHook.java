package org.twinsign.appliance.service;

import java.time.Duration;
import java.util.List;

/**
 * OpenDNSSEC's DelegationSignerSubmitCommand / DelegationSignerRetractCommand: a program that gets
 * the DNSKEY records (BIND format, one per line) on its standard input and hands them to the
 * parent, its registry or a person. Exit status 0 means done.
 */
final class DsHook {
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  private DsHook() {}

  static ExternalCommand.Result run(List<String> command, String dnskeys) {
    return ExternalCommand.run(command, dnskeys, TIMEOUT);
  }
}
