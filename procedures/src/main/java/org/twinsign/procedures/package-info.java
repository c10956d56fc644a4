/**
 * Executable runbooks: signer failure, KSK rollover and parent sync, key backup and recovery,
 * timing drift checks, health. A procedure drives the appliance only through the operations a
 * human operator uses (the {@code twinsign} CLI's service layer), never around them.
 *
 * <p>Depends on {@code appliance}; nothing depends on it.
 */
package org.twinsign.procedures;
