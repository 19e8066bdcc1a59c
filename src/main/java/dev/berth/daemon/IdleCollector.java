package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Gives the old generation's garbage back to the system once berth goes quiet after a burst.
 *
 * <p>Why: with the launcher's Serial collector and its small survivor spaces, whatever is alive at
 * a young collection is promoted. A burst of new connections therefore leaves their request-time
 * pipelines and exchanges dead in the old generation (about 18 MB for 10,000 connections), and the
 * old generation only shrinks, returning its pages, at a full collection, which a proxy that then
 * sits idle never has. G1 has this built in ({@code G1PeriodicGCInterval}); Serial does not.
 *
 * <p>A full collection of berth's heap stops the world for tens of milliseconds (85 ms for 35 MiB
 * with 10,000 connections open), so it runs only after a whole interval without any young
 * collection, when there is little traffic to notice it, and only when the old generation holds
 * enough that a collection may free.
 */
final class IdleCollector {

  static final Duration INTERVAL = Duration.ofSeconds(3);

  /** Growth of the old generation since its last collection below which a pause is not worth it. */
  static final long MIN_GROWTH_BYTES = 4L << 20;

  /** What the collector looks at, each time it looks. */
  interface Heap {
    /** Collections of any kind so far. */
    long collections();

    /** Bytes used in the old generation now, garbage included. */
    long oldUsed();

    /** Bytes used in the old generation right after its last collection (0 before the first). */
    long oldUsedAfterCollection();

    void collect();
  }

  private final Heap heap;
  private long collectionsSeen;

  private IdleCollector(Heap heap) {
    this.heap = requireNonNull(heap, "heap");
    this.collectionsSeen = heap.collections();
  }

  /**
   * Watches this JVM's heap, when it has a pool named as an old generation, until interrupted. The
   * management beans (some 60 classes) load on that thread too, so start-up does not wait for them.
   */
  static Thread start() {
    return Thread.ofVirtual()
        .name("berth-idle-gc")
        .start(() -> jvmHeap().ifPresent(heap -> new IdleCollector(heap).run(INTERVAL)));
  }

  /** A collector that looks only when {@link #check()} is called. */
  static IdleCollector watching(Heap heap) {
    return new IdleCollector(heap);
  }

  /**
   * One look: collects when nothing was collected since the last look and the old generation grew.
   */
  boolean check() {
    long collections = heap.collections();
    boolean quiet = collections == collectionsSeen;
    collectionsSeen = collections;
    if (!quiet || heap.oldUsed() - heap.oldUsedAfterCollection() < MIN_GROWTH_BYTES) {
      return false;
    }
    heap.collect();
    collectionsSeen = heap.collections();
    return true;
  }

  private void run(Duration interval) {
    try {
      while (true) {
        Thread.sleep(interval);
        check();
      }
    } catch (InterruptedException e) {
      // berth is stopping
    }
  }

  /** This JVM's heap, when it has a pool named as an old generation. */
  static Optional<Heap> jvmHeap() {
    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    Optional<MemoryPoolMXBean> old =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP)
            .filter(
                pool -> pool.getName().endsWith("Old Gen") || pool.getName().equals("Tenured Gen"))
            .filter(pool -> pool.getCollectionUsage() != null)
            .findFirst();
    LongSupplier collections =
        () ->
            collectors.stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount)
                .filter(n -> n > 0)
                .sum();
    return old.map(
        pool ->
            new Heap() {
              @Override
              public long collections() {
                return collections.getAsLong();
              }

              @Override
              public long oldUsed() {
                return pool.getUsage().getUsed();
              }

              @Override
              public long oldUsedAfterCollection() {
                return pool.getCollectionUsage().getUsed();
              }

              @Override
              public void collect() {
                System.gc();
              }
            });
  }
}
