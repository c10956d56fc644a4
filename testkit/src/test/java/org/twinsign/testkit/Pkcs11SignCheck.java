package org.twinsign.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;

/**
 * Run in a child JVM whose SOFTHSM2_CONF names the token (SoftHSM reads it once per process):
 * logs in with the PIN file, generates an EC P-256 key pair on the token through SunPKCS11, signs,
 * and verifies the signature with the JDK's own EC code. Prints one result line; exit 0 on success.
 */
public final class Pkcs11SignCheck {
  private Pkcs11SignCheck() {}

  public static void main(String[] args) throws Exception {
    Path providerConfig = Path.of(args[0]);
    char[] pin = Files.readString(Path.of(args[1])).strip().toCharArray();
    Provider provider = Security.getProvider("SunPKCS11").configure(providerConfig.toString());
    Security.addProvider(provider);
    KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
    keyStore.load(null, pin);

    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();

    byte[] data = "example.test. 3600 IN A 192.0.2.1".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance("SHA256withECDSA", provider);
    signer.initSign(pair.getPrivate());
    signer.update(data);
    byte[] signature = signer.sign();

    PublicKey publicKey = KeyFactory.getInstance("EC", "SunEC")
        .generatePublic(new X509EncodedKeySpec(pair.getPublic().getEncoded()));
    Signature verifier = Signature.getInstance("SHA256withECDSA", "SunEC");
    verifier.initVerify(publicKey);
    verifier.update(data);
    boolean valid = verifier.verify(signature);

    System.out.println("provider=" + provider.getName()
        + " privateKeyClass=" + pair.getPrivate().getClass().getName()
        + " privateKeyExported=" + (pair.getPrivate().getEncoded() != null)
        + " signatureBytes=" + signature.length
        + " verified=" + valid);
    System.exit(valid ? 0 : 3);
  }
}
