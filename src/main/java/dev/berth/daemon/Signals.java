package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.Optional;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Handles a signal even when berth inherited it as ignored. A process started with SIGINT ignored
 * (a background job of a non-interactive shell, {@code trap '' INT}, {@code nohup} for SIGHUP)
 * keeps it ignored under the JVM: {@code Signal.handle} then registers nothing, silently, and berth
 * could not be stopped with Ctrl-C or `kill -INT`. berth asks for these signals by name, so it
 * resets such a signal to its default and registers again.
 */
final class Signals {

  private Signals() {}

  /**
   * Runs {@code action} on each {@code name} signal ("INT"). Empty when it will; otherwise why the
   * signal stays ignored, as a line for berth's output.
   */
  static Optional<String> handle(String name, Runnable action) {
    requireNonNull(action, "action");
    Signal signal = new Signal(name);
    SignalHandler handler = s -> action.run();
    if (Signal.handle(signal, handler) != SignalHandler.SIG_IGN) {
      return Optional.empty();
    }
    String why;
    try {
      // Until the second handle() the signal has its default action: one arriving in between
      // ends berth at once, as it would have before berth started.
      resetToDefault(signal.getNumber());
      if (Signal.handle(signal, handler) != SignalHandler.SIG_IGN) {
        return Optional.empty();
      }
      why = "the JVM keeps it ignored";
    } catch (Throwable e) {
      why = "it cannot be reset here: " + e;
    }
    return Optional.of("SIG" + name + " was ignored when berth started and stays so (" + why + ")");
  }

  /**
   * libc's {@code signal(number, SIG_DFL)}. Through reflection: berth compiles for Java 21, where
   * java.lang.foreign is a preview API; it is final from 22 on. Needs native access, which the
   * jar's manifest grants.
   */
  private static void resetToDefault(int number) throws Throwable {
    Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
    Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
    Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
    Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
    Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
    Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
    Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");

    Object linker = linkerType.getMethod("nativeLinker").invoke(null);
    Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
    Object symbol =
        ((Optional<?>) lookupType.getMethod("find", String.class).invoke(lookup, "signal"))
            .orElseThrow(() -> new IllegalStateException("no signal() in libc"));
    Object address = valueLayout.getField("ADDRESS").get(null);
    Object arguments = Array.newInstance(layoutType, 2);
    Array.set(arguments, 0, valueLayout.getField("JAVA_INT").get(null));
    Array.set(arguments, 1, address);
    // sighandler_t signal(int signum, sighandler_t handler)
    Object descriptor =
        descriptorType
            .getMethod("of", layoutType, arguments.getClass())
            .invoke(null, address, arguments);
    Object noOptions = Array.newInstance(optionType, 0);
    MethodHandle signal =
        (MethodHandle)
            linkerType
                .getMethod("downcallHandle", segmentType, descriptorType, noOptions.getClass())
                .invoke(linker, symbol, descriptor, noOptions);
    Object sigDfl = segmentType.getField("NULL").get(null); // SIG_DFL is 0
    signal.invokeWithArguments(number, sigDfl);
  }
}
