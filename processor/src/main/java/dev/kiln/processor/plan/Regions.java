package dev.kiln.processor.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * First-fit allocation of float regions in a workspace, so that a buffer no later layer reads is
 * reused: a chain ends up alternating between two regions, a graph keeps only what is still to
 * be read. {@link #peak()} is the workspace size the allocations need.
 */
final class Regions {
  /** A free interval {@code [offset, offset + size)}. */
  private record Free(int offset, int size) {}

  private final List<Free> free = new ArrayList<>();
  private long end;

  /** Regions from {@code base} on. */
  Regions(int base) {
    this.end = base;
  }

  /** The lowest free offset with room for {@code size} floats. */
  int allocate(long size) {
    for (int i = 0; i < free.size(); i++) {
      Free f = free.get(i);
      if (f.size() >= size) {
        if (f.size() == size) {
          free.remove(i);
        } else {
          free.set(i, new Free(Math.toIntExact(f.offset() + size), Math.toIntExact(f.size() - size)));
        }
        return f.offset();
      }
    }
    // Grow the workspace, reusing a free interval that ends where it ends.
    int offset = Math.toIntExact(end);
    if (!free.isEmpty() && free.get(free.size() - 1).offset() + free.get(free.size() - 1).size() == end) {
      offset = free.remove(free.size() - 1).offset();
    }
    end = offset + size;
    return offset;
  }

  void release(int offset, long size) {
    if (size == 0) {
      return;
    }
    int at = 0;
    while (at < free.size() && free.get(at).offset() < offset) {
      at++;
    }
    free.add(at, new Free(offset, Math.toIntExact(size)));
    // Coalesce with the neighbours.
    if (at + 1 < free.size() && offset + size == free.get(at + 1).offset()) {
      Free next = free.remove(at + 1);
      free.set(at, new Free(offset, Math.toIntExact(size + next.size())));
    }
    if (at > 0) {
      Free previous = free.get(at - 1);
      Free current = free.get(at);
      if (previous.offset() + previous.size() == current.offset()) {
        free.remove(at);
        free.set(at - 1, new Free(previous.offset(), previous.size() + current.size()));
      }
    }
  }

  /** One past the highest float any allocation used. */
  int peak() {
    return Math.toIntExact(end);
  }
}
