package org.twinsign.appliance.service;

import java.util.List;
import java.util.Optional;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.fencing.Lease;

/**
 * A key repository whose changes are master actions: generating or deleting a key checks the
 * lease just before it acts. Looking keys up and signing do not (a signing's result is fenced
 * where it is committed and published).
 */
final class FencedKeyRepository implements KeyRepository {
  private final KeyRepository repository;
  private final Lease lease;

  FencedKeyRepository(KeyRepository repository, Lease lease) {
    this.repository = repository;
    this.lease = lease;
  }

  /** The repository behind the fence (for key wrapping, which needs the token itself). */
  KeyRepository unfenced() {
    return repository;
  }

  @Override
  public String describe() {
    return repository.describe();
  }

  @Override
  public HsmKey generate(DnssecAlgorithm algorithm, int bits, String label) {
    lease.check("generate a key in " + repository.describe());
    return repository.generate(algorithm, bits, label);
  }

  @Override
  public Optional<HsmKey> find(KeyLocator locator) {
    return repository.find(locator);
  }

  @Override
  public List<HsmKey> list() {
    return repository.list();
  }

  @Override
  public java.util.Set<KeyLocator> locators() {
    return repository.locators();
  }

  @Override
  public boolean delete(KeyLocator locator) {
    lease.check("delete key " + locator + " from " + repository.describe());
    return repository.delete(locator);
  }

  @Override
  public byte[] sign(HsmKey key, byte[] data) {
    return repository.sign(key, data);
  }

  @Override
  public void close() {
    repository.close();
  }
}
