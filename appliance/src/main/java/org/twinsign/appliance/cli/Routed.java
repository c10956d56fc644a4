package org.twinsign.appliance.cli;

/** A command that a pair routes: to the master when it changes state, to any node otherwise. */
interface Routed {
  boolean changesState();
}
