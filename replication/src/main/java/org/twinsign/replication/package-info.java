/**
 * Replication between the pair: control and monitoring of MariaDB GTID replication with semi-sync
 * AFTER_SYNC (only a standby holding every acknowledged transaction is promoted), ingestion of
 * the master's signed zones on the standby (rejecting a lower epoch), and key sync into the
 * standby's HSM, verified by looking the key up there.
 *
 * <p>Depends on {@code fencing}; {@code appliance} depends on it.
 */
package org.twinsign.replication;
