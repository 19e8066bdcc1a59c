package dev.berth.supervisor;

/** Told when an instance may take traffic and when it may no longer. */
public interface InstanceListener {

  void ready(String app, int instance, Endpoint endpoint);

  void gone(String app, int instance, Endpoint endpoint);
}
