package org.twinsign.fencing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.twinsign.fencing.Promotion.Data;
import org.twinsign.fencing.Promotion.Decision;
import org.twinsign.fencing.Promotion.Step;

/** Each rule of the promotion decision on its own. */
class PromotionTest {
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final EpochRecord ALPHA_7 = new EpochRecord(7, "alpha", "x", NOW.minusSeconds(600));
  private static final Eligibility.Mark BETA_IN_SYNC = new Eligibility.Mark("beta", 7, "acknowledges", "", 3);

  private static Decision decide(Data data, EpochRecord last, boolean lastConnected, Eligibility.Mark eligible,
      Optional<FailoverSwitch.Off> off, Optional<FailoverSwitch.Handover> handover) {
    return Promotion.decide(new Promotion.Observation("beta", data, last, lastConnected, eligible, off, handover,
        NOW));
  }

  private static Decision failover(Data data, boolean lastConnected, Eligibility.Mark eligible,
      Optional<FailoverSwitch.Off> off) {
    return decide(data, ALPHA_7, lastConnected, eligible, off, Optional.empty());
  }

  @Test
  void theEligibleStandbyFencesAndPromotesOnceTheMastersSessionHasExpired() {
    Decision d = failover(Data.REPLICA, false, BETA_IN_SYNC, Optional.empty());
    assertEquals(Step.PROMOTE, d.step());
    assertTrue(d.fence());
    assertEquals("alpha", d.previous());
  }

  @Test
  void aMasterStillConnectedToZooKeeperIsNotFailedOver() {
    Decision d = failover(Data.REPLICA, true, BETA_IN_SYNC, Optional.empty());
    assertEquals(Step.REFUSE, d.step());
    assertFalse(d.block(), "a passing disconnection of the master is no failed failover");
  }

  @Test
  void aStandbyNotInSyncIsNeverPromotedAutomaticallyAndThatBlocksFailover() {
    Decision d = failover(Data.REPLICA, false, new Eligibility.Mark("", 7, "semi-sync fell back", "", 4),
        Optional.empty());
    assertEquals(Step.REFUSE, d.step());
    assertTrue(d.block());
    assertTrue(d.why().contains("semi-sync fell back") && d.why().contains("could lose acknowledged writes"),
        d.why());
  }

  @Test
  void pausedOrBlockedFailoverIsRespected() {
    Decision d = failover(Data.REPLICA, false, BETA_IN_SYNC, Optional.of(new FailoverSwitch.Off("paused",
        "maintenance", "")));
    assertEquals(Step.REFUSE, d.step());
    assertTrue(d.why().contains("paused (maintenance)") && d.why().contains("cluster resume"), d.why());
  }

  @Test
  void theLastMasterResumesWithoutFencingAndTheFirstPrimaryStartsTheCluster() {
    EpochRecord betaLast = new EpochRecord(7, "beta", "x", NOW);
    assertEquals(Step.RESUME, decide(Data.PRIMARY, betaLast, false, Eligibility.Mark.NONE, Optional.of(
        new FailoverSwitch.Off("blocked", "x", "")), Optional.empty()).step());
    assertEquals(Step.RESUME, decide(Data.PRIMARY, EpochRecord.NONE, false, Eligibility.Mark.NONE, Optional.empty(),
        Optional.empty()).step());
    assertEquals(Step.REFUSE, decide(Data.REPLICA, EpochRecord.NONE, false, Eligibility.Mark.NONE, Optional.empty(),
        Optional.empty()).step());
    assertEquals(Step.REFUSE, decide(Data.UNREACHABLE, betaLast, false, Eligibility.Mark.NONE, Optional.empty(),
        Optional.empty()).step());
  }

  @Test
  void anOperatorsHandOverIsCarriedOutByItsTargetOnly() {
    FailoverSwitch.Handover planned = new FailoverSwitch.Handover("beta", false, true, "switchover",
        NOW.minusSeconds(5).toString());
    Decision d = decide(Data.REPLICA, ALPHA_7, true, BETA_IN_SYNC, Optional.of(new FailoverSwitch.Off("paused", "m",
        "")), Optional.of(planned));
    assertEquals(Step.PROMOTE, d.step(), "a hand-over works while paused and while alpha is connected");
    assertFalse(d.fence(), "a switchover needs no fence command: alpha stopped itself");

    FailoverSwitch.Handover forced = new FailoverSwitch.Handover("beta", true, false, "failover --force",
        NOW.toString());
    Decision f = decide(Data.REPLICA, ALPHA_7, false, Eligibility.Mark.NONE, Optional.empty(), Optional.of(forced));
    assertEquals(Step.PROMOTE, f.step());
    assertTrue(f.fence());

    FailoverSwitch.Handover notForced = new FailoverSwitch.Handover("beta", false, false, "failover", NOW.toString());
    assertEquals(Step.REFUSE, decide(Data.REPLICA, ALPHA_7, false, Eligibility.Mark.NONE, Optional.empty(),
        Optional.of(notForced)).step());

    // alpha, the last master, gives way to a fresh hand-over to beta, but not to a stale one
    Decision alpha = Promotion.decide(new Promotion.Observation("alpha", Data.PRIMARY, ALPHA_7, false, BETA_IN_SYNC,
        Optional.empty(), Optional.of(planned), NOW));
    assertEquals(Step.REFUSE, alpha.step());
    FailoverSwitch.Handover stale = new FailoverSwitch.Handover("beta", false, true, "switchover",
        NOW.minus(Promotion.HANDOVER_VALIDITY).minusSeconds(1).toString());
    assertEquals(Step.RESUME, Promotion.decide(new Promotion.Observation("alpha", Data.PRIMARY, ALPHA_7, false,
        BETA_IN_SYNC, Optional.empty(), Optional.of(stale), NOW)).step());
  }

  @Test
  void aNodeWhoseClockIsOffActsAsMasterNeitherAgainNorByFailoverAndBlocksNothing() {
    Optional<String> off = Optional.of("is +30.0 s off ZooKeeper's clock");
    Decision resume = Promotion.decide(new Promotion.Observation("alpha", Data.PRIMARY, ALPHA_7, false, BETA_IN_SYNC,
        Optional.empty(), Optional.empty(), NOW, off));
    assertEquals(Step.REFUSE, resume.step());
    assertTrue(resume.why().contains("this node's clock is +30.0 s off"), resume.why());
    Decision failover = Promotion.decide(new Promotion.Observation("beta", Data.REPLICA, ALPHA_7, false, BETA_IN_SYNC,
        Optional.empty(), Optional.empty(), NOW, off));
    assertEquals(Step.REFUSE, failover.step());
    assertFalse(failover.block(), "the other node, whose clock may be right, may still take over");
  }
}
