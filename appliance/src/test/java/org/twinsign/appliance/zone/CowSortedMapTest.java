package org.twinsign.appliance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The chunked copy-on-write map against a TreeMap, over random changes and forks: no fork sees another's changes. */
class CowSortedMapTest {
  @Test
  void behavesAsASortedMapAndForksStayApart() {
    Random random = new Random(11);
    CowSortedMap<Integer, String> cow = new CowSortedMap<>();
    TreeMap<Integer, String> model = new TreeMap<>();
    List<CowSortedMap<Integer, String>> forks = new ArrayList<>();
    List<TreeMap<Integer, String>> frozen = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) { // sorted appends, as a zone file is read
      cow.put(i * 2, "v" + i);
      model.put(i * 2, "v" + i);
    }
    for (int round = 0; round < 40; round++) {
      forks.add(cow);
      frozen.add(new TreeMap<>(model));
      cow = cow.fork();
      for (int op = 0; op < 500; op++) {
        int key = random.nextInt(45_000);
        if (random.nextInt(3) == 0) {
          assertEquals(model.remove(key), cow.remove(key));
        } else {
          cow.put(key, "r" + round + "-" + op);
          model.put(key, "r" + round + "-" + op);
        }
        int probe = random.nextInt(45_000);
        assertEquals(model.get(probe), cow.get(probe));
        assertEquals(model.lowerKey(probe), cow.lowerKey(probe));
        assertEquals(model.higherKey(probe), cow.higherKey(probe));
      }
      assertEquals(model.size(), cow.size());
    }
    assertEquals(new ArrayList<>(model.entrySet()), entries(cow));
    for (int i = 0; i < forks.size(); i++) {
      assertEquals(new ArrayList<>(frozen.get(i).entrySet()), entries(forks.get(i)), "fork " + i + " unchanged");
    }
    assertEquals(model.firstKey(), cow.firstKey());
    assertEquals(model.lastKey(), cow.lastKey());
  }

  private static List<Map.Entry<Integer, String>> entries(CowSortedMap<Integer, String> map) {
    List<Map.Entry<Integer, String>> out = new ArrayList<>();
    map.entries().forEach(e -> out.add(Map.entry(e.getKey(), e.getValue())));
    return out;
  }
}
