package dev.berth.supervisor;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A process that is only an object: it runs until the test (or a stop) makes it exit. No output; no
 * pid or handle.
 */
final class FakeProcess extends Process {

  private final CompletableFuture<Process> exit = new CompletableFuture<>();
  private volatile int code;

  /**
   * Ends it with {@code code}. Whoever waits on {@link #onExit} is told before this returns (an
   * instance queues its exit event then).
   */
  void exit(int code) {
    if (!exit.isDone()) {
      this.code = code;
      exit.complete(this);
    }
  }

  @Override
  public OutputStream getOutputStream() {
    return OutputStream.nullOutputStream();
  }

  @Override
  public InputStream getInputStream() {
    return InputStream.nullInputStream();
  }

  @Override
  public InputStream getErrorStream() {
    return InputStream.nullInputStream();
  }

  @Override
  public int waitFor() throws InterruptedException {
    try {
      exit.get();
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
    return code;
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exit.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public int exitValue() {
    if (!exit.isDone()) {
      throw new IllegalThreadStateException("still running");
    }
    return code;
  }

  /** As SIGTERM to a process that honours it. */
  @Override
  public void destroy() {
    exit(143);
  }

  @Override
  public boolean isAlive() {
    return !exit.isDone();
  }

  @Override
  public CompletableFuture<Process> onExit() {
    return exit.copy();
  }
}
