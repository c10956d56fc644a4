package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.testkit.MasterHistory.Action;

class MasterHistoryTest {
  @Test
  void aCleanHandOverIsValid() {
    var v = MasterHistory.check(List.of(new Action("a", 1, "commit", "", 10, 20), new Action("a", 1, "publish", "z",
        30, 40), new Action("b", 2, "commit", "", 50, 60), new Action("a", 3, "commit", "", 70, 80)));
    assertTrue(v.valid(), v.toString());
    assertEquals(3, v.epochs().size());
  }

  @Test
  void aStaleMasterActingAfterTheNewOneIsCaught() {
    var v = MasterHistory.check(List.of(new Action("a", 1, "commit", "", 10, 20), new Action("b", 2, "commit", "", 30,
        40), new Action("a", 1, "publish", "z", 45, 50)));
    assertFalse(v.valid());
    assertTrue(v.problems().get(0).contains("epoch 1 (node a) still acted (publish z) after epoch 2"),
        v.problems().toString());
  }

  @Test
  void overlapThatMayHaveBeenInOrderIsNotBlamed() {
    // a's commit began before b's completed: it may have taken effect first (a pause after COMMIT)
    var v = MasterHistory.check(List.of(new Action("a", 1, "commit", "", 10, 100), new Action("b", 2, "commit", "",
        30, 40)));
    assertTrue(v.valid(), v.toString());
  }

  @Test
  void twoNodesInOneEpochOrNoEpochAreCaught(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h.jsonl");
    Files.writeString(file, "{\"node\":\"a\",\"epoch\":4,\"action\":\"commit\",\"what\":\"\",\"started\":1,\"done\":2,"
        + "\"wall\":\"x\"}\n{\"node\":\"b\",\"epoch\":4,\"action\":\"publish\",\"what\":\"z \\\"q\\\"\",\"started\":3,"
        + "\"done\":4,\"wall\":\"x\"}\n{\"node\":\"b\",\"epoch\":0,\"action\":\"commit\",\"what\":\"\",\"started\":5,"
        + "\"done\":6,\"wall\":\"x\"}\n{\"node\":\"b\",\"epo");
    List<Action> actions = MasterHistory.read(List.of(file));
    assertEquals(3, actions.size(), "the torn last line of a killed node is skipped");
    var v = MasterHistory.check(actions);
    assertEquals(2, v.problems().size(), v.problems().toString());
  }
}
