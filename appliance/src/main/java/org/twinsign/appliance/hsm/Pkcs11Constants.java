package org.twinsign.appliance.hsm;

/** The PKCS#11 v2.40 numbers Twinsign uses, named as in the standard. */
final class Pkcs11Constants {
  private Pkcs11Constants() {}

  static final long CKF_RW_SESSION = 0x2;
  static final long CKF_SERIAL_SESSION = 0x4;
  static final long CKF_OS_LOCKING_OK = 0x2;
  static final long CKF_TOKEN_INITIALIZED = 0x400;
  static final long CKU_USER = 1;
  static final long CKS_RO_USER_FUNCTIONS = 1;
  static final long CKS_RW_USER_FUNCTIONS = 3;

  static final long CKO_PUBLIC_KEY = 2;
  static final long CKO_PRIVATE_KEY = 3;
  static final long CKO_SECRET_KEY = 4;

  static final long CKK_RSA = 0x0;
  static final long CKK_EC = 0x3;
  static final long CKK_EC_EDWARDS = 0x40;
  static final long CKK_AES = 0x1F;

  static final long CKA_CLASS = 0x0;
  static final long CKA_TOKEN = 0x1;
  static final long CKA_PRIVATE = 0x2;
  static final long CKA_LABEL = 0x3;
  static final long CKA_VALUE = 0x11;
  static final long CKA_KEY_TYPE = 0x100;
  static final long CKA_ID = 0x102;
  static final long CKA_SENSITIVE = 0x103;
  static final long CKA_ENCRYPT = 0x104;
  static final long CKA_DECRYPT = 0x105;
  static final long CKA_WRAP = 0x106;
  static final long CKA_UNWRAP = 0x107;
  static final long CKA_SIGN = 0x108;
  static final long CKA_VERIFY = 0x10A;
  static final long CKA_MODULUS = 0x120;
  static final long CKA_MODULUS_BITS = 0x121;
  static final long CKA_PUBLIC_EXPONENT = 0x122;
  static final long CKA_VALUE_LEN = 0x161;
  static final long CKA_EXTRACTABLE = 0x162;
  static final long CKA_EC_PARAMS = 0x180;
  static final long CKA_EC_POINT = 0x181;

  static final long CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0;
  static final long CKM_RSA_PKCS = 0x1;
  static final long CKM_RSA_PKCS_OAEP = 0x9;
  static final long CKM_SHA_1 = 0x220;
  static final long CKG_MGF1_SHA1 = 0x1;
  static final long CKZ_DATA_SPECIFIED = 0x1;
  static final long CKM_AES_KEY_GEN = 0x1080;
  static final long CKM_AES_ECB = 0x1081;
  static final long CKM_AES_KEY_WRAP_PAD = 0x210A;
  static final long CKM_EC_KEY_PAIR_GEN = 0x1040;
  static final long CKM_ECDSA = 0x1041;
  static final long CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
  static final long CKM_EDDSA = 0x1057;

  static final long CKR_PIN_INCORRECT = 0xA0;
  static final long CKR_PIN_LOCKED = 0xA4;
  static final long CKR_USER_ALREADY_LOGGED_IN = 0x100;
  static final long CKR_MECHANISM_INVALID = 0x70;
  static final long CKR_TEMPLATE_INCONSISTENT = 0xD1;
  static final long CKR_ATTRIBUTE_VALUE_INVALID = 0x13;
  static final long CKR_CURVE_NOT_SUPPORTED = 0x140;
  static final long CKR_DEVICE_ERROR = 0x30;
  static final long CKR_DEVICE_REMOVED = 0x32;
  static final long CKR_KEY_HANDLE_INVALID = 0x60;
  static final long CKR_OBJECT_HANDLE_INVALID = 0x82;
  static final long CKR_SESSION_CLOSED = 0xB0;
  static final long CKR_SESSION_HANDLE_INVALID = 0xB3;
  static final long CKR_TOKEN_NOT_PRESENT = 0xE0;
  static final long CKR_USER_NOT_LOGGED_IN = 0x101;
  static final long CKR_ENCRYPTED_DATA_INVALID = 0x40;
  static final long CKR_ENCRYPTED_DATA_LEN_RANGE = 0x41;
  static final long CKR_WRAPPED_KEY_INVALID = 0x110;
  static final long CKR_WRAPPED_KEY_LEN_RANGE = 0x112;
  static final long CKR_ATTRIBUTE_TYPE_INVALID = 0x12;
  static final long CKR_KEY_UNEXTRACTABLE = 0x6A;
  static final long CKR_KEY_NOT_WRAPPABLE = 0x69;
  static final long CKR_GENERAL_ERROR = 0x5;
}
