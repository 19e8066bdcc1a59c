package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When berth collects its old generation on its own: only when quiet, and only when it grew. */
class IdleCollectorTest {

  private static final long MIB = 1L << 20;

  /**
   * A heap whose numbers the test sets; a collection empties the old generation down to {@code
   * live}.
   */
  private static final class FakeHeap implements IdleCollector.Heap {
    long collections;
    long oldUsed;
    long oldUsedAfterCollection;
    long live;
    int forced;

    @Override
    public long collections() {
      return collections;
    }

    @Override
    public long oldUsed() {
      return oldUsed;
    }

    @Override
    public long oldUsedAfterCollection() {
      return oldUsedAfterCollection;
    }

    @Override
    public void collect() {
      forced++;
      collections++;
      oldUsed = live;
      oldUsedAfterCollection = live;
    }

    /** Traffic: young collections that promote {@code bytes} into the old generation. */
    void traffic(int youngCollections, long bytes) {
      collections += youngCollections;
      oldUsed += bytes;
    }
  }

  @Test
  void collectsOnceAfterABurstWhenQuiet() {
    FakeHeap heap = new FakeHeap();
    heap.live = 20 * MIB;
    IdleCollector collector = IdleCollector.watching(heap);
    heap.traffic(12, 30 * MIB);
    assertThat(collector.check()).as("collections during the last interval: not quiet").isFalse();
    assertThat(collector.check()).as("quiet, and the old generation grew by 30 MiB").isTrue();
    assertThat(heap.forced).isEqualTo(1);
    assertThat(heap.oldUsed).isEqualTo(20 * MIB);
    assertThat(collector.check()).as("nothing grew since").isFalse();
    assertThat(collector.check()).isFalse();
    assertThat(heap.forced).isEqualTo(1);
  }

  @Test
  void neverCollectsWhileBusy() {
    FakeHeap heap = new FakeHeap();
    IdleCollector collector = IdleCollector.watching(heap);
    for (int i = 0; i < 10; i++) {
      heap.traffic(3, 10 * MIB);
      assertThat(collector.check()).isFalse();
    }
    assertThat(heap.forced).isZero();
  }

  @Test
  void smallGrowthIsNotWorthAPause() {
    FakeHeap heap = new FakeHeap();
    heap.live = 20 * MIB;
    heap.oldUsed = heap.oldUsedAfterCollection = 20 * MIB;
    IdleCollector collector = IdleCollector.watching(heap);
    heap.traffic(1, IdleCollector.MIN_GROWTH_BYTES - 1);
    collector.check();
    assertThat(collector.check()).isFalse();
    heap.traffic(1, 1);
    collector.check();
    assertThat(collector.check()).isTrue();
  }

  @Test
  void findsThisJvmsOldGeneration() {
    assertThat(IdleCollector.jvmHeap())
        .as("the test JVM's collector has a pool named as an old generation")
        .isPresent();
  }
}
