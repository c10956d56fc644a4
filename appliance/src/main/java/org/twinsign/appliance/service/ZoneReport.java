package org.twinsign.appliance.service;

import java.util.List;

/**
 * What one enforcer run did to one zone, as data: the CLI renders {@link #lines()} as text and
 * the whole record as JSON ({@code enforce --json}), so that runbooks and alerts never parse prose.
 *
 * @param status what happened, in one word
 * @param serial the serial published by this run, or null if it published nothing
 * @param signaturesMade new signatures, when signed
 * @param signaturesReused signatures kept from the previous version, when signed
 * @param keyChanges the record-state moves of the zone's keys ("ZSK 12345: DNSKEY hidden -> rumoured")
 * @param waiting what the zone's keys wait for (a backup, the parent, caches)
 * @param lines everything the run has to say about the zone, in order, as an operator reads it
 * @param warnings what failed after the zone's change was committed and published (deleting a
 *     purged key, a DS command or recording its outcome): the change stands, a person should look
 * @param failure why the run failed (the zone's state and published file unchanged), or null
 * @param hsmFault whether the failure came from a key repository (an HSM error, for the alert)
 */
public record ZoneReport(String zone, Status status, Long serial, long signaturesMade, long signaturesReused,
    List<String> keyChanges, List<String> waiting, List<String> lines, List<String> warnings, String failure,
    boolean hsmFault) {

  /** The outcome of a zone's run. */
  public enum Status {
    /** Nothing was due. */
    UNCHANGED,
    /** Key states, the schedule or the DS exchange moved; the published zone stayed. */
    CHANGED,
    /** A new signed version was published. */
    SIGNED,
    /** The run failed; nothing of it was committed or published. */
    FAILED
  }

  static ZoneReport failed(String zone, RuntimeException e) {
    boolean hsm = false;
    for (Throwable t = e; t != null && !hsm; t = t.getCause()) {
      hsm = t instanceof org.twinsign.appliance.hsm.HsmException;
    }
    return new ZoneReport(zone, Status.FAILED, null, 0, 0, List.of(), List.of(), List.of(), List.of(),
        e.getMessage() == null ? e.toString() : e.getMessage(), hsm);
  }
}
