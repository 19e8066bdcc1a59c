package dev.berth.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.files.ByteRange.Slice;
import dev.berth.files.ByteRange.Unsatisfiable;
import dev.berth.files.ByteRange.Whole;
import org.junit.jupiter.api.Test;

class ByteRangeTest {

  @Test
  void singleRangesOfEachForm() {
    assertThat(ByteRange.of("bytes=0-9", 100)).isEqualTo(new Slice(0, 10));
    assertThat(ByteRange.of("bytes=90-", 100)).isEqualTo(new Slice(90, 10));
    assertThat(ByteRange.of("bytes=-10", 100)).isEqualTo(new Slice(90, 10));
    assertThat(ByteRange.of("bytes=99-99", 100)).isEqualTo(new Slice(99, 1));
    assertThat(ByteRange.of("Bytes = 5-6 ", 100)).isEqualTo(new Slice(5, 2));
    assertThat(new Slice(90, 10).last()).isEqualTo(99);
  }

  @Test
  void rangesPastTheEndAreClippedToIt() {
    assertThat(ByteRange.of("bytes=50-1000", 100)).isEqualTo(new Slice(50, 50));
    assertThat(ByteRange.of("bytes=-1000", 100)).isEqualTo(new Slice(0, 100));
    assertThat(ByteRange.of("bytes=0-999999999999999999", 100)).isEqualTo(new Slice(0, 100));
  }

  @Test
  void rangesThatStartPastTheEndCannotBeSatisfied() {
    assertThat(ByteRange.of("bytes=100-", 100)).isEqualTo(new Unsatisfiable());
    assertThat(ByteRange.of("bytes=100-200", 100)).isEqualTo(new Unsatisfiable());
    assertThat(ByteRange.of("bytes=-0", 100)).isEqualTo(new Unsatisfiable());
    assertThat(ByteRange.of("bytes=0-", 0)).isEqualTo(new Unsatisfiable());
    assertThat(ByteRange.of("bytes=-5", 0)).isEqualTo(new Unsatisfiable());
  }

  @Test
  void invalidOrMultipleRangesAreIgnored() {
    for (String header :
        new String[] {
          "bytes=abc",
          "bytes=-",
          "bytes=5",
          "bytes=9-5",
          "bytes=+1-2",
          "bytes=1 -2",
          "bytes=0x1-2",
          "bytes=1234567890123456789-",
          "items=0-9",
          "0-9",
          "",
          "bytes=0-1,5-6",
          "bytes=0-1, 200-300"
        }) {
      assertThat(ByteRange.of(header, 100)).as(header).isEqualTo(new Whole());
    }
    assertThat(ByteRange.of(null, 100)).isEqualTo(new Whole());
  }
}
