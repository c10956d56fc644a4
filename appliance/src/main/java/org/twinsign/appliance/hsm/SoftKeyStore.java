package org.twinsign.appliance.hsm;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/**
 * A soft key store: key pairs in files of one directory, private keys (PKCS#8) encrypted under
 * the repository PIN (AES-256-GCM, key from PBKDF2-HMAC-SHA256), signing in this process.
 *
 * <p>This is what OpenDNSSEC operators do with a soft-token repository for ZSKs: the private key
 * is in the signer's memory while it signs, as it is with SoftHSM, which is a library in the same
 * process too; in exchange, signing runs at the speed of a native provider instead of through a
 * PKCS#11 session per signature. KSKs belong in a real HSM.
 */
public final class SoftKeyStore implements KeyRepository {
  private static final String SUFFIX = ".softkey";
  private static final String KDF = "PBKDF2WithHmacSHA256";
  private static final int PBKDF2_ITERATIONS = 200_000;
  /** A key file whose key derivation is cheaper than this is refused: its PIN would be guessed quickly. */
  static final int PBKDF2_FLOOR = 100_000;
  /** Files of format 2 bind the encrypted private key to its locator, algorithm, size and public key. */
  private static final String FORMAT = "2";
  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final HsmConfig config;
  private final Path directory;
  private final Map<KeyLocator, PrivateKey> unlocked = new ConcurrentHashMap<>();
  private final ThreadLocal<Map<String, Signature>> signatures = ThreadLocal.withInitial(HashMap::new);

  private SoftKeyStore(HsmConfig config) {
    this.config = config;
    this.directory = config.directory();
  }

  public static SoftKeyStore open(HsmConfig config) {
    Path directory = config.directory();
    try {
      if (!Files.isDirectory(directory)) {
        Files.createDirectories(directory,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new HsmException("cannot create the soft key store directory " + directory + " (directory= in "
          + config.source() + "): " + e.getMessage(), e);
    }
    char[] pin = config.pin().read(); // fail now, not at the first signature, if the PIN is missing
    Arrays.fill(pin, '\0');
    return new SoftKeyStore(config);
  }

  @Override
  public String describe() {
    return "soft key store " + directory + " (" + SoftCrypto.describe() + ")";
  }

  @Override
  public HsmKey generate(DnssecAlgorithm algorithm, int bits, String label) {
    KeyRequests.check(algorithm, bits, label);
    KeyPair pair;
    try {
      pair = generatePair(algorithm, bits);
    } catch (GeneralSecurityException e) {
      throw new HsmException("cannot generate a " + algorithm + " key: " + e.getMessage(), e);
    }
    KeyLocator locator = KeyLocator.random();
    byte[] publicKey = dnskeyPublicKey(algorithm, pair.getPublic());
    int size = algorithm.family() == DnssecAlgorithm.KeyFamily.RSA ? bits : algorithm.coordinateLength() * 8;
    Properties file = new Properties();
    file.setProperty("label", label);
    file.setProperty("algorithm", algorithm.name());
    file.setProperty("bits", Integer.toString(size));
    file.setProperty("public", Base64.getEncoder().encodeToString(publicKey));
    file.setProperty("format", FORMAT);
    encrypt(pair.getPrivate().getEncoded(), file, locator);
    write(locator, file);
    unlocked.put(locator, pair.getPrivate());
    return new HsmKey(locator, label, algorithm, size, publicKey, -1);
  }

  @Override
  public Optional<HsmKey> find(KeyLocator locator) {
    Path file = directory.resolve(locator.hex() + SUFFIX);
    return Files.isRegularFile(file) ? Optional.of(describe(locator, read(file))) : Optional.empty();
  }

  @Override
  public List<HsmKey> list() {
    List<HsmKey> keys = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        keys.add(describe(new KeyLocator(name.substring(0, name.length() - SUFFIX.length())), read(file)));
      }
    } catch (IOException e) {
      throw new HsmException("cannot list " + directory + ": " + e.getMessage(), e);
    }
    keys.sort((a, b) -> a.locator().hex().compareTo(b.locator().hex()));
    return keys;
  }

  @Override
  public boolean delete(KeyLocator locator) {
    unlocked.remove(locator);
    try {
      return Files.deleteIfExists(directory.resolve(locator.hex() + SUFFIX));
    } catch (IOException e) {
      throw new HsmException("cannot delete key " + locator + " from " + directory + ": " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] sign(HsmKey key, byte[] data) {
    PrivateKey privateKey = unlocked.computeIfAbsent(key.locator(), this::unlock);
    DnssecAlgorithm algorithm = key.algorithm();
    try {
      Signature signature = signatures.get().computeIfAbsent(signatureName(algorithm), SoftKeyStore::newSignature);
      signature.initSign(privateKey);
      signature.update(data);
      byte[] out = signature.sign();
      return algorithm.family() == DnssecAlgorithm.KeyFamily.EC
          ? EcdsaSignatureFormat.derToRaw(out, algorithm.coordinateLength())
          : out;
    } catch (GeneralSecurityException e) {
      throw new HsmException("signing with key " + key.locator() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    unlocked.clear();
  }

  @Override
  public String toString() {
    return describe();
  }

  private HsmKey describe(KeyLocator locator, Properties file) {
    try {
      DnssecAlgorithm algorithm = DnssecAlgorithm.valueOf(file.getProperty("algorithm"));
      return new HsmKey(locator, file.getProperty("label", ""), algorithm, Integer.parseInt(file.getProperty("bits")),
          Base64.getDecoder().decode(file.getProperty("public")), -1);
    } catch (RuntimeException e) {
      throw new HsmException("key file for " + locator + " in " + directory + " is damaged: " + e.getMessage(), e);
    }
  }

  private PrivateKey unlock(KeyLocator locator) {
    Properties file = read(directory.resolve(locator.hex() + SUFFIX));
    DnssecAlgorithm algorithm = DnssecAlgorithm.valueOf(file.getProperty("algorithm"));
    byte[] pkcs8 = decrypt(locator, file);
    PrivateKey key;
    try {
      key = keyFactory(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new HsmException("key " + locator + " in " + directory + " cannot be loaded: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
    checkPair(locator, algorithm, key, describe(locator, file).publicKey());
    return key;
  }

  /**
   * The private key must be the public key's other half: a test signature is made and verified
   * with the public key the file (and the DNSKEY) shows. A mismatch would publish signatures no
   * validator accepts.
   */
  private void checkPair(KeyLocator locator, DnssecAlgorithm algorithm, PrivateKey key, byte[] dnskeyPublicKey) {
    byte[] probe = ("twinsign key pair check " + locator.hex()).getBytes(StandardCharsets.UTF_8);
    try {
      Signature signer = newSignature(signatureName(algorithm));
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      PublicKey publicKey = new org.xbill.DNS.DNSKEYRecord(org.xbill.DNS.Name.root, org.xbill.DNS.DClass.IN, 0, 256,
          org.xbill.DNS.DNSKEYRecord.Protocol.DNSSEC, algorithm.number(), dnskeyPublicKey).getPublicKey();
      Signature verifier = Signature.getInstance(signatureName(algorithm));
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new HsmException("key file " + directory.resolve(locator.hex() + SUFFIX) + " holds a private key that"
            + " does not match its public key: refused (was a key file replaced or swapped?)");
      }
    } catch (GeneralSecurityException | org.xbill.DNS.DNSSEC.DNSSECException e) {
      throw new HsmException("cannot check the key pair " + locator + " in " + directory + ": " + e.getMessage(), e);
    }
  }

  /**
   * What the encryption authenticates along with the private key (AES-GCM associated data): the
   * key's locator, algorithm, size and public key. A file renamed to another locator, or edited
   * to show another public key, no longer decrypts.
   */
  private static byte[] associatedData(KeyLocator locator, Properties file) {
    return ("twinsign soft key " + FORMAT + "\n" + locator.hex() + "\n" + file.getProperty("algorithm") + "\n"
        + file.getProperty("bits") + "\n" + file.getProperty("public")).getBytes(StandardCharsets.UTF_8);
  }

  /** AES-256-GCM under a PBKDF2-HMAC-SHA256 key from the PIN; the GCM tag detects a wrong PIN. */
  private void encrypt(byte[] pkcs8, Properties file, KeyLocator locator) {
    char[] pin = config.pin().read();
    try {
      byte[] salt = new byte[16];
      byte[] iv = new byte[12];
      RANDOM.nextBytes(salt);
      RANDOM.nextBytes(iv);
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.ENCRYPT_MODE, pinKey(pin, salt, PBKDF2_ITERATIONS), new GCMParameterSpec(128, iv));
      cipher.updateAAD(associatedData(locator, file));
      file.setProperty("private.kdf", KDF + " " + PBKDF2_ITERATIONS);
      file.setProperty("private.salt", Base64.getEncoder().encodeToString(salt));
      file.setProperty("private.iv", Base64.getEncoder().encodeToString(iv));
      file.setProperty("private", Base64.getEncoder().encodeToString(cipher.doFinal(pkcs8)));
    } catch (GeneralSecurityException e) {
      throw new HsmException("cannot encrypt the new key: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pin, '\0');
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  private byte[] decrypt(KeyLocator locator, Properties file) {
    char[] pin = config.pin().read();
    try {
      String[] kdf = file.getProperty("private.kdf", "").split(" ");
      if (kdf.length != 2 || !kdf[0].equals(KDF)) {
        throw new HsmException("key " + locator + " in " + directory + " uses an unknown key derivation");
      }
      int iterations = Integer.parseInt(kdf[1]);
      if (iterations < PBKDF2_FLOOR) {
        throw new HsmException("key file " + directory.resolve(locator.hex() + SUFFIX) + " derives its key with "
            + iterations + " PBKDF2 rounds, below the floor of " + PBKDF2_FLOOR + ": refused; generate a new key");
      }
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.DECRYPT_MODE,
          pinKey(pin, Base64.getDecoder().decode(file.getProperty("private.salt")), iterations),
          new GCMParameterSpec(128, Base64.getDecoder().decode(file.getProperty("private.iv"))));
      if (FORMAT.equals(file.getProperty("format"))) {
        cipher.updateAAD(associatedData(locator, file));
      }
      return cipher.doFinal(Base64.getDecoder().decode(file.getProperty("private")));
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      throw new HsmException("cannot unlock key " + locator + " in " + directory + ": the PIN (" + config.pin()
          + ") is incorrect, or the key file is damaged or not this key's (renamed, swapped or edited)");
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private static SecretKey pinKey(char[] pin, byte[] salt, int iterations) throws GeneralSecurityException {
    byte[] key = SecretKeyFactory.getInstance(KDF).generateSecret(new PBEKeySpec(pin, salt, iterations, 256))
        .getEncoded();
    try {
      return new SecretKeySpec(key, "AES");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private Properties read(Path file) {
    String unsafe = org.twinsign.appliance.config.SecretFile.problem(file, "soft key file");
    if (unsafe != null) {
      throw new HsmException(unsafe);
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
      return properties;
    } catch (IOException e) {
      throw new HsmException("cannot read key file " + file + ": " + e.getMessage(), e);
    }
  }

  private void write(KeyLocator locator, Properties properties) {
    Path target = directory.resolve(locator.hex() + SUFFIX);
    try {
      Path temp = Files.createTempFile(directory, "." + locator.hex(), ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
        properties.store(writer, "Twinsign soft key; the private key is encrypted under the repository PIN");
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new HsmException("cannot store key " + locator + " in " + directory + ": " + e.getMessage(), e);
    }
  }

  private static KeyPair generatePair(DnssecAlgorithm algorithm, int bits) throws GeneralSecurityException {
    KeyPairGenerator generator;
    switch (algorithm.family()) {
      case RSA:
        generator = instance("RSA", KeyPairGenerator::getInstance, KeyPairGenerator::getInstance);
        generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
        break;
      case EC:
        generator = instance("EC", KeyPairGenerator::getInstance, KeyPairGenerator::getInstance);
        generator.initialize(new ECGenParameterSpec(
            algorithm == DnssecAlgorithm.ECDSAP256SHA256 ? "secp256r1" : "secp384r1"), RANDOM);
        break;
      default:
        generator = instance("Ed25519", KeyPairGenerator::getInstance, KeyPairGenerator::getInstance);
        break;
    }
    return generator.generateKeyPair();
  }

  private static KeyFactory keyFactory(DnssecAlgorithm algorithm) throws GeneralSecurityException {
    String name = algorithm.family() == DnssecAlgorithm.KeyFamily.RSA ? "RSA"
        : algorithm.family() == DnssecAlgorithm.KeyFamily.EC ? "EC" : "Ed25519";
    return instance(name, KeyFactory::getInstance, KeyFactory::getInstance);
  }

  private static String signatureName(DnssecAlgorithm algorithm) {
    switch (algorithm) {
      case RSASHA256: return "SHA256withRSA";
      case RSASHA512: return "SHA512withRSA";
      case ECDSAP256SHA256: return "SHA256withECDSA";
      case ECDSAP384SHA384: return "SHA384withECDSA";
      default: return "Ed25519";
    }
  }

  private static Signature newSignature(String name) {
    try {
      return instance(name, Signature::getInstance, Signature::getInstance);
    } catch (GeneralSecurityException e) {
      throw new HsmException(name + " is not available in this JDK: " + e.getMessage(), e);
    }
  }

  /** The native provider's implementation if it has one, else the JDK's. */
  private static <T> T instance(String name, WithProvider<T> withProvider, WithoutProvider<T> plain)
      throws GeneralSecurityException {
    Provider provider = SoftCrypto.provider();
    if (provider != null) {
      try {
        return withProvider.get(name, provider);
      } catch (GeneralSecurityException e) {
        // not offered natively: fall through to the JDK
      }
    }
    return plain.get(name);
  }

  @FunctionalInterface
  private interface WithProvider<T> {
    T get(String name, Provider provider) throws GeneralSecurityException;
  }

  @FunctionalInterface
  private interface WithoutProvider<T> {
    T get(String name) throws GeneralSecurityException;
  }

  /** DNSKEY public key field (RFC 3110, RFC 6605, RFC 8080) of a JCA public key. */
  static byte[] dnskeyPublicKey(DnssecAlgorithm algorithm, PublicKey key) {
    switch (algorithm.family()) {
      case RSA:
        RSAPublicKey rsa = (RSAPublicKey) key;
        return PublicKeyEncoding.rsa(unsigned(rsa.getPublicExponent()), unsigned(rsa.getModulus()));
      case EC:
        ECPublicKey ec = (ECPublicKey) key;
        int n = algorithm.coordinateLength();
        byte[] out = new byte[2 * n];
        byte[] x = unsigned(ec.getW().getAffineX());
        byte[] y = unsigned(ec.getW().getAffineY());
        System.arraycopy(x, 0, out, n - x.length, x.length);
        System.arraycopy(y, 0, out, 2 * n - y.length, y.length);
        return out;
      default:
        byte[] encoded = key.getEncoded(); // X.509 SubjectPublicKeyInfo: the key is the last 32 bytes
        return Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    }
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes.length > 1 && bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }
}
