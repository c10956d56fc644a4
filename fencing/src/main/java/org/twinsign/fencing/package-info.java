/**
 * Leadership and fencing: the Curator {@code LeaderLatch} that keeps one master, fencing epochs
 * taken by compare-and-set on a znode (strictly increasing, carried by every key-state write,
 * published serial and wrapped key), self-fencing on a SUSPENDED connection, fence actions
 * against a failed node, and promotion of the standby.
 *
 * <p>Depends on nothing else of Twinsign; {@code replication} and {@code appliance} depend on it.
 */
package org.twinsign.fencing;
