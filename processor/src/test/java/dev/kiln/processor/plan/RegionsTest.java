package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The first-fit float-region allocator on its own. */
class RegionsTest {

  @Test
  void allocatesFromTheBaseUpAndPeakIsOnePastTheHighestFloat() {
    Regions regions = new Regions(100);
    assertEquals(100, regions.peak(), "nothing allocated: the base");
    assertEquals(100, regions.allocate(10));
    assertEquals(110, regions.allocate(5));
    assertEquals(115, regions.peak());
  }

  @Test
  void firstFitTakesTheLowestIntervalWithRoom() {
    Regions regions = new Regions(0);
    int a = regions.allocate(10); // [0, 10)
    regions.allocate(5); //          [10, 15)
    int c = regions.allocate(20); // [15, 35)
    regions.allocate(5); //          [35, 40)
    regions.release(a, 10);
    regions.release(c, 20); // free: [0, 10), [15, 35)
    assertEquals(0, regions.allocate(8), "the first interval fits"); // free: [8, 10), [15, 35)
    assertEquals(15, regions.allocate(12), "[8, 10) is too small: the next one"); // [27, 35) left
    assertEquals(27, regions.allocate(8), "exactly what is left of [15, 35)");
    assertEquals(8, regions.allocate(2), "exactly [8, 10)");
    assertEquals(40, regions.peak(), "every allocation fitted in a free interval");
  }

  @Test
  void anExactFitRemovesTheInterval() {
    Regions regions = new Regions(0);
    regions.allocate(10); // [0, 10)
    regions.allocate(10); // [10, 20)
    regions.release(0, 10);
    assertEquals(0, regions.allocate(10), "exact fit");
    // [0, 10) is gone from the free list: the next allocation grows the end.
    assertEquals(20, regions.allocate(1));
    assertEquals(21, regions.peak());
  }

  @Test
  void aLargerIntervalIsSplitAndTheRestStaysFree() {
    Regions regions = new Regions(0);
    regions.allocate(10); // [0, 10)
    regions.allocate(1); //  [10, 11)
    regions.release(0, 10);
    assertEquals(0, regions.allocate(4)); // free: [4, 10)
    assertEquals(4, regions.allocate(6), "the rest of the split interval, exactly");
    assertEquals(11, regions.allocate(1), "nothing is free any more");
    assertEquals(12, regions.peak());
  }

  @Test
  void releaseCoalescesWithBothNeighbours() {
    Regions regions = new Regions(0);
    for (int i = 0; i < 4; i++) {
      assertEquals(10 * i, regions.allocate(10)); // [0, 10) [10, 20) [20, 30) [30, 40)
    }
    regions.release(0, 10);
    regions.release(20, 10); // free: [0, 10), [20, 30)
    regions.release(10, 10); // joins both: [0, 30)
    // Only one interval of 30 can take 30 floats without growing the end.
    assertEquals(0, regions.allocate(30));
    assertEquals(40, regions.peak());
  }

  @Test
  void releaseCoalescesWithTheNextAndWithThePreviousAlone() {
    Regions regions = new Regions(0);
    for (int i = 0; i < 5; i++) {
      regions.allocate(10); // [0, 10) ... [40, 50)
    }
    regions.release(20, 10);
    regions.release(10, 10); // with the next: [10, 30)
    regions.release(40, 10);
    regions.release(30, 10); // with the previous [10, 30) and the next [40, 50): [10, 50)
    assertEquals(10, regions.allocate(40));
    assertEquals(50, regions.peak());

    Regions other = new Regions(0);
    for (int i = 0; i < 3; i++) {
      other.allocate(10); // [0, 10) [10, 20) [20, 30)
    }
    other.release(0, 10);
    other.release(10, 10); // with the previous only: [0, 20)
    assertEquals(0, other.allocate(20));
    assertEquals(30, other.peak());
  }

  @Test
  void growingTheEndReusesAFreeTail() {
    Regions regions = new Regions(0);
    regions.allocate(10); // [0, 10)
    regions.allocate(10); // [10, 20)
    regions.release(10, 10); // free tail [10, 20)
    // 15 fits nowhere; the tail [10, 20) ends at the end, so the region starts at 10 and the end
    // grows by 5 only: 10 + 15 = 25.
    assertEquals(10, regions.allocate(15));
    assertEquals(25, regions.peak());
  }

  @Test
  void aFreeIntervalBeforeTheEndIsNotATail() {
    Regions regions = new Regions(0);
    regions.allocate(10); // [0, 10)
    regions.allocate(10); // [10, 20)
    regions.release(0, 10); // free [0, 10), but [10, 20) is in use
    assertEquals(20, regions.allocate(15), "grows from the end: 20 + 15 = 35");
    assertEquals(35, regions.peak());
    assertEquals(0, regions.allocate(10), "[0, 10) is still free");
  }

  @Test
  void releasingNothingChangesNothing() {
    Regions regions = new Regions(0);
    regions.allocate(10); // [0, 10)
    regions.release(5, 0);
    // A zero-size free interval at 5 would be an exact fit for allocate(0), and would split
    // nothing else: nothing at 5 may be handed out.
    assertEquals(10, regions.allocate(0), "no free interval: the end");
    assertEquals(10, regions.allocate(3), "still nothing free");
    assertEquals(13, regions.peak());
  }

  @Test
  void peakNeverShrinks() {
    Regions regions = new Regions(0);
    regions.allocate(100); // [0, 100)
    regions.release(0, 100);
    assertEquals(100, regions.peak(), "releasing keeps the high-water mark");
    assertEquals(0, regions.allocate(50));
    assertEquals(100, regions.peak());
  }
}
